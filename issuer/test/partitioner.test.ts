import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { keyPartitioner, murmur2 } from '@rediclaim/issuer';

// kafkajs' own murmur2 (a port of the Java client's), the reference for ours.
const kafkajsMurmur2 = createRequire(import.meta.url)(
  'kafkajs/src/producer/partitioners/default/murmur2.js',
) as (key: Buffer) => number;

describe('the results partitioner', () => {
  it('hashes exactly as kafkajs and the Java client do', () => {
    for (let i = 0; i < 2_000; i++) {
      const key = randomBytes(i % 67);
      expect(murmur2(key)).toBe(kafkajsMurmur2(key));
    }
    expect(murmur2(Buffer.from('shop/black-friday/alice'))).toBe(
      kafkajsMurmur2(Buffer.from('shop/black-friday/alice')),
    );
  });

  it('places a keyed message where the default partitioner would', () => {
    const partitionMetadata = Array.from({ length: 12 }, (_, i) => ({
      partitionId: i,
      leader: 1,
      replicas: [1],
      isr: [1],
      partitionErrorCode: 0,
    }));
    const choose = keyPartitioner();
    for (const key of ['shop/e/u1', 'shop/e/u2', 'a', '']) {
      const expected = (kafkajsMurmur2(Buffer.from(key)) & 0x7fffffff) % 12;
      expect(choose({ topic: 't', partitionMetadata, message: { key, value: null } })).toBe(
        expected,
      );
    }
  });
});
