// The seed's issuer, for the benchmark's comparison: one transaction per Kafka message
// (check, decrement, insert, commit), the way a Spring @KafkaListener with a
// @Transactional JPA service does it. Same broker, same database server, the same
// issued_coupons table and keys as the issuer; only the transaction pattern differs.
//
// Env: MYSQL_URL, KAFKA_BROKERS, TOPIC, GROUP_ID, EVENT_ROW_ID, CONCURRENCY (8).
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import { couponCode, issueRequestSchema, decodeMessage } from '@rediclaim/core';

async function main(): Promise<void> {
  const env = (name: string, fallback?: string): string => {
    const value = process.env[name] ?? fallback;
    if (value === undefined) throw new Error(`${name} is required`);
    return value;
  };
  const eventRowId = Number(env('EVENT_ROW_ID'));
  const concurrency = Number(env('CONCURRENCY', '8'));
  const pool = mysql.createPool({
    uri: env('MYSQL_URL'),
    connectionLimit: concurrency,
    timezone: 'Z',
  });
  const kafka = new Kafka({
    clientId: 'bench-per-message',
    brokers: env('KAFKA_BROKERS').split(','),
    logLevel: logLevel.ERROR,
  });
  const consumer = kafka.consumer({ groupId: env('GROUP_ID') });
  await consumer.connect();
  await consumer.subscribe({ topic: env('TOPIC'), fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: concurrency,
    eachMessage: async ({ message }) => {
      const request = decodeMessage(issueRequestSchema, message.value, 'issue request');
      const conn = await pool.getConnection();
      try {
        await conn.query('START TRANSACTION');
        const [events] = await conn.query<mysql.RowDataPacket[]>(
          'SELECT stock, issued FROM coupon_events WHERE id = ? FOR UPDATE',
          [eventRowId],
        );
        const [held] = await conn.query<mysql.RowDataPacket[]>(
          'SELECT COUNT(*) AS n FROM issued_coupons WHERE event_id = ? AND user_id = ?',
          [eventRowId, request.userId],
        );
        const event = events[0]!;
        if (Number(held[0]!.n) === 0 && Number(event.issued) < Number(event.stock)) {
          const serial = Number(event.issued) + 1;
          const now = new Date();
          await conn.query('UPDATE coupon_events SET issued = issued + 1 WHERE id = ?', [
            eventRowId,
          ]);
          await conn.query(
            `INSERT INTO issued_coupons (event_id, serial, user_id, seq, ticket, request_id, code,
               generation, discount, valid_from, valid_until, issued_at)
             VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`,
            [
              eventRowId,
              serial,
              request.userId,
              request.ticket,
              request.requestId,
              couponCode(
                request.policy.code,
                'bench-secret',
                `${request.tenant}/${request.eventId}`,
                serial,
              ),
              request.policy.generation,
              JSON.stringify(request.policy.discount),
              now,
              new Date(now.getTime() + 86_400_000),
              now,
            ],
          );
        }
        await conn.query('COMMIT');
      } catch (error) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        conn.release();
      }
    },
  });
  const stop = async () => {
    await consumer.disconnect().catch(() => undefined);
    await pool.end().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
