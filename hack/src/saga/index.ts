// The saga reference: a shop's redemption client and an order flow compensated through
// the coupon lifecycle events.
export {
  RedemptionApiError,
  RedemptionClient,
  type Coupon,
  type Redemption,
} from './redemption-client.js';
export {
  OrderSaga,
  type Order,
  type OrderOutcome,
  type OrderSagaOptions,
  type OrderState,
  type PaymentService,
  type SagaRedemptionApi,
} from './order-saga.js';
