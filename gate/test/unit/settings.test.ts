import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '@rediclaim/hack/testing';
import { loadGateSettings } from '@rediclaim/gate';

const base = {
  REDIS_URL: 'redis://localhost:6379',
  KAFKA_BROKERS: 'localhost:9092',
  EVENTS_FILE: '/x.yaml',
  REQUEST_SIGNING_KEYS: 'k1=a-request-signing-secret-of-32-chars!',
};

describe('settings', () => {
  it('names every bad variable', () => {
    expect(() =>
      loadGateSettings({
        ...base,
        REDIS_URL: 'http://x',
        GATE_PORT: '70000',
        EVENTS_CONFIGMAP: 'ns/cm',
      }),
    ).toThrow(
      'gate settings are invalid: GATE_PORT: must be at most 65535; REDIS_URL: must be a URL starting with redis:// or rediss://; EVENTS_CONFIGMAP: set exactly one of EVENTS_CONFIGMAP (<namespace>/<name>) and EVENTS_FILE',
    );
    expect(() => loadGateSettings({ ...base, IDENTITY_MODE: 'jwt' })).toThrow(
      'JWT_SECRET: IDENTITY_MODE=jwt needs exactly one of JWT_SECRET and JWT_PUBLIC_KEY',
    );
    expect(() => loadGateSettings({ ...base, TICKET_SECRET: 'short' })).toThrow(
      'TICKET_SECRET: must be at least 32 characters',
    );
  });

  it('exits with code 2 and the message when a setting is wrong', () => {
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'gate/dist/main.js')], {
      env: { PATH: process.env.PATH ?? '', KAFKA_BROKERS: 'x:1', EVENTS_FILE: '/x' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('gate settings are invalid: REDIS_URL: is required');
  });

  it('needs the keys issue requests are signed with, and says what a key looks like', () => {
    const { REQUEST_SIGNING_KEYS: _keys, ...unsigned } = base;
    expect(() => loadGateSettings(unsigned)).toThrow('REQUEST_SIGNING_KEYS: is required');
    expect(() => loadGateSettings({ ...base, REQUEST_SIGNING_KEYS: 'k1=short' })).toThrow(
      'a signing secret must be at least 32 characters',
    );
    expect(() =>
      loadGateSettings({ ...base, REQUEST_SIGNING_KEYS: `bad id=${'x'.repeat(32)}` }),
    ).toThrow('a key id is 1 to 32 letters');
    expect(() =>
      loadGateSettings({
        ...base,
        REQUEST_SIGNING_KEYS: `k1=${'x'.repeat(32)},k1=${'y'.repeat(32)}`,
      }),
    ).toThrow('key ids must be distinct');
    expect(
      loadGateSettings({
        ...base,
        REQUEST_SIGNING_KEYS: `k2=${'n'.repeat(32)}, k1=${'o'.repeat(32)}`,
      }).REQUEST_SIGNING_KEYS,
    ).toEqual([
      { id: 'k2', secret: 'n'.repeat(32) },
      { id: 'k1', secret: 'o'.repeat(32) },
    ]);
  });

  it('defaults to the seed identity mode, the contract ports and topics', () => {
    expect(loadGateSettings(base)).toMatchObject({
      GATE_PORT: 8080,
      GATE_ADMIN_PORT: 9090,
      IDENTITY_MODE: 'query',
      KAFKA_GROUP_ID: 'rediclaim-gate',
      TOPIC_ISSUE_REQUESTS: 'rediclaim.issue-requests',
      TOPIC_PARTITIONS: 12,
      EVENTS_CONFIG_SHARDS: 32,
    });
  });

  it('takes the shard count of the events ConfigMaps, and refuses one that makes no sense', () => {
    expect(loadGateSettings({ ...base, EVENTS_CONFIG_SHARDS: '4' }).EVENTS_CONFIG_SHARDS).toBe(4);
    expect(() => loadGateSettings({ ...base, EVENTS_CONFIG_SHARDS: '0' })).toThrow(
      'EVENTS_CONFIG_SHARDS: must be at least 1 (one ConfigMap)',
    );
    expect(() => loadGateSettings({ ...base, EVENTS_CONFIG_SHARDS: '1000' })).toThrow(
      /EVENTS_CONFIG_SHARDS: must be at most 256/,
    );
    expect(() => loadGateSettings({ ...base, EVENTS_CONFIG_SHARDS: '2.5' })).toThrow(
      'EVENTS_CONFIG_SHARDS: must be a whole number of ConfigMaps',
    );
  });

  it('bounds how many results one Lua call records', () => {
    expect(loadGateSettings(base).RESULTS_RECORD_CHUNK).toBe(200);
    expect(loadGateSettings({ ...base, RESULTS_RECORD_CHUNK: '50' }).RESULTS_RECORD_CHUNK).toBe(50);
    expect(() => loadGateSettings({ ...base, RESULTS_RECORD_CHUNK: '0' })).toThrow(
      'RESULTS_RECORD_CHUNK: must be at least 1',
    );
    expect(() => loadGateSettings({ ...base, RESULTS_RECORD_CHUNK: '5000' })).toThrow(
      'RESULTS_RECORD_CHUNK: must be at most 1000',
    );
  });
});
