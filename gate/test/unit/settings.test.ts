import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '@rediclaim/hack/testing';
import { loadGateSettings } from '@rediclaim/gate';
import { minimalGateEnv } from '../support/minimal-env.js';

const base = minimalGateEnv;

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
    expect(run.stderr).toContain('gate settings are invalid: ');
    expect(run.stderr).toContain(
      'REDIS_URL: is required (or REDIS_CLUSTER_NODES, the seed nodes of a Redis Cluster)',
    );
  });

  it('refuses to serve the internal API unguarded beyond loopback', () => {
    const { ADMIN_TOKEN: _token, ...open } = base;
    expect(() => loadGateSettings(open)).toThrow(
      "ADMIN_TOKEN: is required: the internal API (stats, and the purge of any tenant's queue) listens on 0.0.0.0",
    );
    expect(() =>
      loadGateSettings({ ...open, GATE_HOST: '127.0.0.1', GATE_ADMIN_HOST: '10.0.0.5' }),
    ).toThrow('listens on 10.0.0.5');
    for (const host of ['127.0.0.1', '::1', 'localhost'])
      expect(loadGateSettings({ ...open, GATE_ADMIN_HOST: host }).ADMIN_TOKEN).toBeUndefined();
  });

  it('trusts a hop count or named proxies, never any X-Forwarded-For', () => {
    expect(loadGateSettings(base).TRUST_PROXY).toBe(false);
    expect(loadGateSettings({ ...base, TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(
      loadGateSettings({ ...base, TRUST_PROXY: '10.0.0.0/8, 192.168.1.1, fd00::/8' }).TRUST_PROXY,
    ).toEqual(['10.0.0.0/8', '192.168.1.1', 'fd00::/8']);
    expect(() => loadGateSettings({ ...base, TRUST_PROXY: 'true' })).toThrow(
      'TRUST_PROXY: must not be "true" (it believes a spoofable left-most X-Forwarded-For)',
    );
    expect(() => loadGateSettings({ ...base, TRUST_PROXY: 'ingress.local' })).toThrow(
      'TRUST_PROXY: must be false, a hop count, or addresses/CIDRs',
    );
    expect(loadGateSettings(base)).toMatchObject({
      RATE_LIMIT_STORE: 'memory',
      RATE_LIMIT_NAMESPACE: 'rc:ratelimit:',
      POLL_RATE_LIMIT_MAX: 600,
    });
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

  it('records signed results only, unless told otherwise while issuers are upgraded', () => {
    expect(loadGateSettings(base).RESULT_SIGNATURES).toBe('required');
    expect(loadGateSettings({ ...base, RESULT_SIGNATURES: 'optional' }).RESULT_SIGNATURES).toBe(
      'optional',
    );
    expect(() => loadGateSettings({ ...base, RESULT_SIGNATURES: 'off' })).toThrow(
      'RESULT_SIGNATURES',
    );
  });

  it('takes the proof-of-work key from the environment or a file, never both, and checks it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rc-pow-'));
    const file = path.join(dir, 'pow-key');
    writeFileSync(file, `${'k'.repeat(40)}\n`);
    expect(loadGateSettings({ ...base, POW_HMAC_KEY_FILE: file }).POW_HMAC_KEY_FILE).toBe(
      'k'.repeat(40),
    );
    expect(() => loadGateSettings({ ...base, POW_HMAC_KEY: 'short' })).toThrow(
      'POW_HMAC_KEY: must be at least 32 characters',
    );
    writeFileSync(file, 'short\n');
    expect(() => loadGateSettings({ ...base, POW_HMAC_KEY_FILE: file })).toThrow(
      'POW_HMAC_KEY_FILE: must hold a key of at least 32 characters',
    );
    expect(() =>
      loadGateSettings({ ...base, POW_HMAC_KEY: 'k'.repeat(32), POW_HMAC_KEY_FILE: file }),
    ).toThrow('POW_HMAC_KEY_FILE: set POW_HMAC_KEY or POW_HMAC_KEY_FILE, not both');
    expect(() => loadGateSettings({ ...base, POW_PREVIOUS_HMAC_KEYS: 'o'.repeat(32) })).toThrow(
      'POW_PREVIOUS_HMAC_KEYS: needs POW_HMAC_KEY or POW_HMAC_KEY_FILE',
    );
    rmSync(dir, { recursive: true });
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
