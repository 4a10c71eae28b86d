import { createCipheriv, createHash, type Cipheriv } from 'node:crypto';
import type { CodeFormat } from '../couponevent/spec.js';

/** Crockford base32: no I, L, O or U, so codes read aloud and typed by hand survive. */
export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ROUNDS = 8;

const ciphers = new Map<string, Cipheriv>();

/** One AES-128 ECB cipher per (secret, scope), reused: ECB blocks are independent. */
function cipherFor(secret: string, scope: string): Cipheriv {
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
  for (const s of serials) {
    if (!Number.isSafeInteger(s) || s < 0 || BigInt(s) >= domain) {
      throw new RangeError(`serial ${s} is outside the code space of ${length} characters`);
    }
  }
  const bits = 5 * length + ((5 * length) % 2);
  const half = bits / 2;
  const cipher = cipherFor(secret, scope);
  if (half <= 32)
    return permuteSmall(cipher, half, bits > 5 * length, serials, length, format.prefix);
  return permuteBig(cipher, half, domain, serials).map((v) => format.prefix + encode(v, length));
}

/**
 * The common case (codes of up to 12 characters): both Feistel halves fit in 32 bits,
 * so the rounds run on plain numbers; BigInt only assembles the result. Same
 * permutation as permuteBig, bit for bit.
 */
function permuteSmall(
  cipher: Cipheriv,
  half: number,
  padded: boolean,
  serials: readonly number[],
  length: number,
  prefix: string,
): string[] {
  const n = serials.length;
  const left = new Float64Array(n);
  const right = new Float64Array(n);
  const span = 2 ** half;
  for (let i = 0; i < n; i++) {
    left[i] = Math.floor(serials[i]! / span);
    right[i] = serials[i]! % span;
  }
  // With an odd number of code bits the network runs one bit wider; a value whose
  // top bit is set lies outside the code space and is permuted again.
  const outside = (i: number) => padded && left[i]! >= span / 2;
  let pending = Array.from({ length: n }, (_, i) => i);
  while (pending.length > 0) {
    const blocks = Buffer.alloc(16 * pending.length);
    for (let round = 0; round < ROUNDS; round++) {
      for (let j = 0; j < pending.length; j++) {
        blocks[j * 16] = round;
        blocks.writeUInt32BE(right[pending[j]!]!, j * 16 + 12);
      }
      const out = cipher.update(blocks);
      for (let j = 0; j < pending.length; j++) {
        const i = pending[j]!;
        const f = out.readUInt32BE(j * 16 + 4) % span;
        const next = xor32(left[i]!, f);
        left[i] = right[i]!;
        right[i] = next;
      }
    }
    pending = pending.filter(outside);
  }
  return Array.from(
    { length: n },
    (_, i) => prefix + encodeHalves(left[i]!, right[i]!, half, length),
  );
}

/** Base32 digits of left·2^half + right without building the (up to 64-bit) number. */
function encodeHalves(left: number, right: number, half: number, length: number): string {
  let out = '';
  let acc = right;
  let accBits = half;
  let high = left;
  for (let d = 0; d < length; d++) {
    if (accBits < 5 && high >= 0) {
      // At most 4 + 32 bits: exact in a double.
      acc += high * 2 ** accBits;
      accBits += half;
      high = -1;
    }
    const digit = acc % 32;
    out = CODE_ALPHABET[digit] + out;
    acc = (acc - digit) / 32;
    accBits -= 5;
  }
  return out;
}

/** XOR of two non-negative integers below 2^32 (JavaScript's ^ is signed). */
function xor32(a: number, b: number): number {
  return (a ^ b) >>> 0;
}

/** Codes longer than 12 characters: the same network on BigInt halves. */
function permuteBig(
  cipher: Cipheriv,
  halfBits: number,
  domain: bigint,
  serials: readonly number[],
): bigint[] {
  const half = BigInt(halfBits);
  const mask = (1n << half) - 1n;
  const values = serials.map((s) => BigInt(s));
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
        const f = out.readBigUInt64BE(j * 16) & mask;
        values[index] = ((v & mask) << half) | ((v >> half) ^ f);
      });
    }
    // Cycle-walking: a value that left the code space is permuted again until it is back.
    pending = pending.filter((index) => values[index]! >= domain);
  }
  return values;
}

export function couponCode(
  format: CodeFormat,
  secret: string,
  scope: string,
  serial: number,
): string {
  return couponCodes(format, secret, scope, [serial])[0]!;
}
