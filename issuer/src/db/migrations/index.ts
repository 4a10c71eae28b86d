import { CreateIssuanceTables1767225600000 } from './1767225600000-create-issuance-tables.js';
import { SaleIdentity1796083200000 } from './1796083200000-sale-identity.js';
import { RedemptionsAndOutbox1798761600000 } from './1798761600000-redemptions-and-outbox.js';

/** Every migration, oldest first. Add new ones at the end; never edit a released one. */
export const migrations = [
  CreateIssuanceTables1767225600000,
  SaleIdentity1796083200000,
  RedemptionsAndOutbox1798761600000,
];
