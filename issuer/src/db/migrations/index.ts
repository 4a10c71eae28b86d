import { CreateIssuanceTables1767225600000 } from './1767225600000-create-issuance-tables.js';
import { SaleIdentity1796083200000 } from './1796083200000-sale-identity.js';

/** Every migration, oldest first. Add new ones at the end; never edit a released one. */
export const migrations = [CreateIssuanceTables1767225600000, SaleIdentity1796083200000];
