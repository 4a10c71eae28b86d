// The tables of the benchmark's per-message consumer (issuer-per-message.ts).

/** The issuer's issued_coupons table (its migration), and a seed-like event row. */
export const PER_MESSAGE_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS coupon_events (
     id bigint NOT NULL AUTO_INCREMENT, stock int NOT NULL, issued int NOT NULL DEFAULT 0,
     PRIMARY KEY (id)) ENGINE=InnoDB`,
  `CREATE TABLE IF NOT EXISTS issued_coupons (
     event_id bigint NOT NULL, serial int NOT NULL, user_id varchar(128) NOT NULL,
     seq int NOT NULL, ticket bigint NOT NULL, request_id varchar(300) NOT NULL,
     code varchar(32) NOT NULL, generation bigint NOT NULL, discount json NOT NULL,
     valid_from datetime(3) NOT NULL, valid_until datetime(3) NOT NULL,
     issued_at datetime(3) NOT NULL,
     UNIQUE INDEX uq_issued_coupons_code (event_id, code),
     UNIQUE INDEX uq_issued_coupons_user_seq (event_id, user_id, seq),
     PRIMARY KEY (event_id, serial),
     CONSTRAINT fk_issued_coupons_event FOREIGN KEY (event_id) REFERENCES coupon_events (id)
   ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
];
