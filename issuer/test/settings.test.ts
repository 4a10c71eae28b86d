import { describe, expect, it } from '@jest/globals';
import { loadSettings, redactUrl } from '@rediclaim/issuer';

const minimal = {
  MYSQL_URL: 'mysql://app:secret@db:3306/rediclaim',
  COUPON_CODE_SECRET: 'sixteen-chars-ok',
  KAFKA_BROKERS: 'k1:9092, k2:9092',
  REQUEST_SIGNING_KEYS: 'k1=a-request-signing-secret-of-32-chars!',
};

describe('issuer settings', () => {
  it('applies the contract defaults to a minimal environment', () => {
    const s = loadSettings(minimal);
    expect(s).toMatchObject({
      ISSUER_ADMIN_PORT: 9091,
      KAFKA_BROKERS: ['k1:9092', 'k2:9092'],
      KAFKA_GROUP_ID: 'rediclaim-issuer',
      TOPIC_ISSUE_REQUESTS: 'rediclaim.issue-requests',
      TOPIC_ISSUE_RESULTS: 'rediclaim.issue-results',
      TOPIC_DEAD_LETTERS: 'rediclaim.dead-letters',
      TOPIC_PARTITIONS: 12,
      MIGRATE_ON_START: true,
      MYSQL_DIALECT: 'auto',
      MYSQL_CHECK_INTERVAL_MS: 5_000,
      ISSUER_RETRY_BASE_MS: 100,
      ISSUER_RETRY_MAX_MS: 5_000,
      LOG_LEVEL: 'info',
    });
  });

  it('names every wrong variable in one message', () => {
    let message = '';
    try {
      loadSettings({
        MYSQL_URL: 'postgres://db/x',
        COUPON_CODE_SECRET: 'short',
        MIGRATE_ON_START: 'sometimes',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^issuer settings are invalid: /);
    expect(message).toContain('MYSQL_URL: must be a URL starting with mysql:// or mariadb://');
    expect(message).toContain('COUPON_CODE_SECRET: must be at least 16 characters');
    expect(message).toContain('KAFKA_BROKERS: is required');
    expect(message).toContain('MIGRATE_ON_START: must be true or false');
  });

  it('refuses a retry base longer than the retry cap', () => {
    expect(() =>
      loadSettings({ ...minimal, ISSUER_RETRY_BASE_MS: '9000', ISSUER_RETRY_MAX_MS: '1000' }),
    ).toThrow('ISSUER_RETRY_BASE_MS: must not exceed ISSUER_RETRY_MAX_MS');
  });

  it("needs the gates' signing keys unless unsigned requests are let in on purpose", () => {
    const { REQUEST_SIGNING_KEYS: _keys, ...unsigned } = minimal;
    expect(() => loadSettings(unsigned)).toThrow(
      'REQUEST_SIGNING_KEYS: is required: the keys the gates sign issue requests with',
    );
    expect(loadSettings({ ...unsigned, REQUEST_SIGNATURES: 'optional' })).toMatchObject({
      REQUEST_SIGNATURES: 'optional',
    });
    expect(loadSettings(minimal).REQUEST_SIGNING_KEYS).toEqual([
      { id: 'k1', secret: 'a-request-signing-secret-of-32-chars!' },
    ]);
  });

  it('keeps the database password out of logs', () => {
    expect(redactUrl('mysql://app:secret@db:3306/rediclaim')).toBe(
      'mysql://app:***@db:3306/rediclaim',
    );
  });
});
