import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ErrorCode, RediclaimError } from '../errors.js';
import type { OutgoingRecord } from './issue-records.js';

/**
 * Records between the services are signed. Gate → issuer: an IssueRequest carries the
 * coupon's policy (stock, discount, generation) and the shoppers to issue to, so anyone
 * who could produce to the requests topic could otherwise mint coupons. The gate signs each record's value with
 * HMAC-SHA256 under a key shared with the issuers; the issuer dead-letters a record whose
 * signature is missing or matches none of its keys. The signature covers the exact bytes
 * (no canonical JSON needed) and travels in a Kafka header, so the value stays the record
 * every other tool reads. Issuer → gate: the issuers sign their results with the same
 * keys and the gates record only signed ones, so producing to the results topic cannot
 * tell a shopper they won.
 */

/** The Kafka header that carries a record's signature: `v1:<keyId>:<base64url HMAC>`. */
export const SIGNATURE_HEADER = 'rediclaim-signature';

export interface SigningKey {
  id: string;
  secret: string;
}

const keyIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,32}$/, 'a key id is 1 to 32 letters, digits, ".", "_" or "-"');

/**
 * `REQUEST_SIGNING_KEYS`: `id=secret` pairs, comma-separated; the first signs, every one
 * verifies. Rotation: add the new key (second) to every issuer, then put it first at the
 * gates, then drop the old one once no record signed with it can still be in Kafka.
 */
export const signingKeysSchema = z
  .string()
  .transform((text) => text.split(',').map((pair) => pair.trim()))
  .pipe(
    z
      .array(
        z
          .string()
          .transform((pair) => {
            const at = pair.indexOf('=');
            return at < 0
              ? { id: '', secret: pair }
              : { id: pair.slice(0, at), secret: pair.slice(at + 1) };
          })
          .pipe(
            z.object({
              id: keyIdSchema,
              secret: z.string().min(32, 'a signing secret must be at least 32 characters'),
            }),
          ),
      )
      .min(1, 'must list at least one id=secret')
      .refine((keys) => new Set(keys.map((k) => k.id)).size === keys.length, {
        message: 'key ids must be distinct',
      }),
  );

const mac = (secret: string, value: Uint8Array): Buffer =>
  createHmac('sha256', secret).update(value).digest();

/** The header value signing `value` with `key`. */
export function signRecord(value: Uint8Array, key: SigningKey): string {
  return `v1:${key.id}:${mac(key.secret, value).toString('base64url')}`;
}

/** Signs each record (in place) with `key`, next to the headers it has. */
export function signRecords(records: OutgoingRecord[], key: SigningKey): OutgoingRecord[] {
  for (const record of records)
    record.headers = { ...record.headers, [SIGNATURE_HEADER]: signRecord(record.value, key) };
  return records;
}

/** A record header's value as kafkajs hands it over (Buffer, string, or a list). */
export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** optional: unsigned records are taken too (upgrading from services that do not sign). */
export const signatureModeSchema = z.enum(['required', 'optional']);

/** Which records a service takes: signed by one of `keys`, or unsigned too when optional. */
export interface RecordTrust {
  keys: readonly SigningKey[];
  signatures: z.infer<typeof signatureModeSchema>;
}

/**
 * Throws INVALID_SIGNATURE unless the record is one `trust` takes. A signature that is
 * there is always checked, in optional mode too: a forged record never gets in.
 */
export function checkTrusted(
  value: Uint8Array | null | undefined,
  header: HeaderValue,
  trust: RecordTrust,
): void {
  if (header !== undefined || trust.signatures === 'required')
    verifyRecord(value, header, trust.keys);
}

/**
 * Checks a record's signature against the keys; throws INVALID_SIGNATURE saying why
 * (none, malformed, an unknown key, a MAC that does not match). The MAC is compared in
 * constant time and decoded strictly (a canonical base64url of 32 bytes only).
 */
export function verifyRecord(
  value: Uint8Array | null | undefined,
  header: HeaderValue,
  keys: readonly SigningKey[],
): SigningKey {
  const fail = (why: string) =>
    new RediclaimError(ErrorCode.InvalidSignature, `the record's signature ${why}`);
  if (header === undefined) throw fail(`is missing (header ${SIGNATURE_HEADER})`);
  if (Array.isArray(header)) {
    if (header.length !== 1) throw fail('appears more than once');
    header = header[0]!;
  }
  const text = typeof header === 'string' ? header : header.toString('utf8');
  const match = /^v1:([A-Za-z0-9._-]{1,32}):([A-Za-z0-9_-]{43})$/.exec(text);
  if (!match) throw fail('is malformed (expected v1:<keyId>:<base64url HMAC-SHA256>)');
  const key = keys.find((k) => k.id === match[1]);
  if (!key) throw fail(`names key "${match[1]}", which this service does not have`);
  const given = Buffer.from(match[2]!, 'base64url');
  // 43 characters carry 258 bits: only the canonical encoding of 32 bytes round-trips.
  if (given.length !== 32 || given.toString('base64url') !== match[2])
    throw fail('is not a canonical base64url MAC');
  if (!timingSafeEqual(given, mac(key.secret, value ?? new Uint8Array())))
    throw fail(`does not match the record (key "${key.id}")`);
  return key;
}
