import { createCipheriv, createHash, type Cipher } from 'node:crypto';
import type { CodeFormat } from '../couponevent/spec.js';

/** Crockford base32: no I, L, O or U, so codes read aloud and typed by hand survive. */
export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ROUNDS = 8;

const ciphers = new Map<string, Cipher>();

/** One AES-128 ECB cipher per (secret, scope), reused: ECB blocks are independent. */
function cipherFor(secret: string, scope: string): Cipher {
  const id = `${secret}\u0000${scope}`;
  let cipher = ciphers.get(id);
  if (!cipher) {
    const key = createHash('sha256').update(id).digest().subarray(0, 16);
    cipher = createCipheriv('aes-128-ecb', key, null);
    cipher.setAutoPadding(false);
    if (ciphers.size >= 1024) ciphers.clear();
    ciphers.set(id, cipher);
  }
  return cipher;
}

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = CODE_ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * Coupon codes for the given serials (1, 2, 3, ... in issuance order) of one event.
 *
 * Each code is prefix + a keyed permutation of the serial over the 32^length code
 * space: a Feistel network whose round function is AES-128 (the construction of
 * NIST's FF1), with cycle-walking to stay inside the space. A permutation is a
 * bijection, so two serials can never share a code: uniqueness holds by
 * construction, with the database's unique key as a second guard. Without the
 * secret the next code cannot be guessed from earlier ones.
 *
 * Batched because AES over many blocks in one call is ~100x cheaper than one by one.
 */
export function couponCodes(
  format: CodeFormat,
  secret: string,
  scope: string,
  serials: readonly number[],
): string[] {
  const length = format.length;
  const domain = 32n ** BigInt(length);
  const bits = 5 * length + ((5 * length) % 2);
  const half = BigInt(bits / 2);
  const mask = (1n << half) - 1n;
  const cipher = cipherFor(secret, scope);

  const values = serials.map((s) => {
    if (!Number.isSafeInteger(s) || s < 0 || BigInt(s) >= domain) {
      throw new RangeError(`serial ${s} is outside the code space of ${length} characters`);
    }
    return BigInt(s);
  });

  let pending = values.map((_, i) => i);
  while (pending.length > 0) {
    for (let round = 0; round < ROUNDS; round++) {
      const blocks = Buffer.alloc(16 * pending.length);
      pending.forEach((index, j) => {
        blocks.writeUInt8(round, j * 16);
        blocks.writeBigUInt64BE(values[index]! & mask, j * 16 + 8);
      });
      const out = cipher.update(blocks);
      pending.forEach((index, j) => {
        const v = values[index]!;
        const left = v >> half;
        const right = v & mask;
        const f = out.readBigUInt64BE(j * 16) & mask;
        values[index] = (right << half) | (left ^ f);
      });
    }
    // Cycle-walking: a value that left the code space is permuted again until it is back.
    pending = pending.filter((index) => values[index]! >= domain);
  }
  return values.map((v) => format.prefix + encode(v, length));
}

export function couponCode(
  format: CodeFormat,
  secret: string,
  scope: string,
  serial: number,
): string {
  return couponCodes(format, secret, scope, [serial])[0]!;
}
