import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { tenantSchema } from '@rediclaim/core';

/**
 * The shops' credentials for the redemption API: `tenant=token,...`, a tenant listed
 * more than once having several tokens (rotation: add the new one, move the shop, drop
 * the old), `*=token` acting for every tenant (a platform's own back office). The
 * shopper never holds one: redemption is the shop's server talking to rediclaim.
 */
export const apiKeysSchema = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(
        z
          .string()
          .transform((pair, ctx) => {
            const at = pair.indexOf('=');
            if (at < 0) {
              ctx.issues.push({
                code: 'custom',
                input: pair,
                message: 'each entry is tenant=token (or *=token for every tenant)',
              });
              return z.NEVER;
            }
            return { tenant: pair.slice(0, at), token: pair.slice(at + 1) };
          })
          .pipe(
            z.object({
              tenant: z.union([z.literal('*'), tenantSchema]),
              token: z.string().min(32, 'an API token must be at least 32 characters'),
            }),
          ),
      )
      .min(1, 'must list at least one tenant=token'),
  );
export type ApiKey = z.output<typeof apiKeysSchema>[number];

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Answers which tenants a bearer token may act for, in time independent of the token. */
export class ApiKeys {
  private readonly keys: { tenant: string; digest: Buffer }[];

  constructor(keys: readonly ApiKey[]) {
    this.keys = keys.map((k) => ({ tenant: k.tenant, digest: digest(k.token) }));
  }

  /** Whether `token` is known at all (401 otherwise). */
  known(token: string): boolean {
    return this.tenantsOf(token).length > 0;
  }

  /** Whether `token` may act for `tenant` (403 otherwise). */
  allows(token: string, tenant: string): boolean {
    return this.tenantsOf(token).some((t) => t === '*' || t === tenant);
  }

  private tenantsOf(token: string): string[] {
    const presented = digest(token);
    // Every key compared, matched or not: the time says nothing about which one matched.
    const tenants: string[] = [];
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, presented)) tenants.push(key.tenant);
    }
    return tenants;
  }
}
