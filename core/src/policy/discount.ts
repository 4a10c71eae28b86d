import type { Discount } from '../couponevent/spec.js';

/**
 * The discount (minor units) a coupon gives an order of `orderAmount` minor units:
 * nothing below minOrderAmount, a percent rounded down and capped by maxAmount, or
 * the fixed amount, never more than the order itself.
 */
export function discountFor(discount: Discount, orderAmount: number): number {
  if (!Number.isSafeInteger(orderAmount) || orderAmount < 0) {
    throw new RangeError(`orderAmount must be a whole number of minor units, got ${orderAmount}`);
  }
  if (discount.minOrderAmount !== undefined && orderAmount < discount.minOrderAmount) return 0;
  let amount: number;
  if (discount.type === 'percent') {
    // Basis points keep fractional percents (12.5%) exact in integer arithmetic.
    const basisPoints = Math.round((discount.percent ?? 0) * 100);
    amount = Math.floor((orderAmount * basisPoints) / 10_000);
    if (discount.maxAmount !== undefined) amount = Math.min(amount, discount.maxAmount);
  } else {
    amount = discount.amount ?? 0;
  }
  return Math.min(amount, orderAmount);
}

/** "10% off (up to 5,000 KRW)", "5,000 KRW off": how shoppers see a discount. */
export function describeDiscount(discount: Discount, locale = 'en'): string {
  const money = (minor: number) => {
    const currency = discount.currency ?? 'XXX';
    const digits =
      new Intl.NumberFormat(locale, { style: 'currency', currency }).resolvedOptions()
        .maximumFractionDigits ?? 2;
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(
      minor / 10 ** digits,
    );
  };
  let text =
    discount.type === 'percent' ? `${discount.percent}% off` : `${money(discount.amount ?? 0)} off`;
  if (discount.type === 'percent' && discount.maxAmount !== undefined)
    text += ` (up to ${money(discount.maxAmount)})`;
  if (discount.minOrderAmount !== undefined)
    text += `, on orders of ${money(discount.minOrderAmount)} or more`;
  return text;
}
