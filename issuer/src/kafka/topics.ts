import type { Admin } from 'kafkajs';
import type { Topics } from '@rediclaim/core';

/**
 * Creates the issuer's topics when missing (core/CONTRACTS.md: every service does so at
 * start-up), waiting for their leaders: producing to a topic whose leader is still
 * being elected fails (kafkajs#1563). Existing topics are left as they are; the
 * operator raises partitions. `others`: topics beyond the issue pipeline's (the
 * coupons topic the outbox relay writes).
 */
export async function ensureTopics(
  admin: Admin,
  topics: Topics,
  partitions: number,
  others: readonly string[] = [],
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set([...Object.values(topics), ...others])].filter(
    (t) => !existing.has(t),
  );
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
  });
  return missing;
}
