import { describe, expect, it } from '@jest/globals';
import { loadSettings } from '../../src/settings.js';

const required = { PLATFORM_NAMESPACE: 'rediclaim', GATE_ADMIN_URL: 'http://gate-admin:9090' };

describe('operator settings', () => {
  it('defaults what core/CONTRACTS.md defaults', () => {
    expect(loadSettings(required)).toMatchObject({
      OPERATOR_ADMIN_PORT: 9092,
      WATCH_NAMESPACES: [],
      EVENTS_CONFIGMAP_NAME: 'rediclaim-events',
      ISSUER_DEPLOYMENT_NAME: 'rediclaim-issuer',
      ISSUER_MIN_REPLICAS: 1,
      ISSUER_MAX_REPLICAS: 8,
      LEASE_NAME: 'rediclaim-operator',
      LEASE_DURATION_SECONDS: 15,
      LEASE_RENEW_DEADLINE_SECONDS: 10,
      LEASE_RETRY_PERIOD_SECONDS: 2,
      TOPIC_ISSUE_REQUESTS: 'rediclaim.issue-requests',
      EVENTS_CONFIG_SHARDS: 32,
      EVENTS_CONFIG_SHARD_MAX_KIB: 900,
      MAX_EVENTS_PER_NAMESPACE: 100,
    });
  });

  it('refuses a shard count or a quota that makes no sense, saying why', () => {
    expect(() => loadSettings({ ...required, EVENTS_CONFIG_SHARDS: '0' })).toThrow(
      'EVENTS_CONFIG_SHARDS: must be at least 1 (one ConfigMap)',
    );
    expect(() => loadSettings({ ...required, EVENTS_CONFIG_SHARDS: 'many' })).toThrow(
      /EVENTS_CONFIG_SHARDS: /,
    );
    expect(() => loadSettings({ ...required, MAX_EVENTS_PER_NAMESPACE: '-1' })).toThrow(
      'MAX_EVENTS_PER_NAMESPACE: must be 0 (no limit) or more',
    );
    expect(
      loadSettings({ ...required, MAX_EVENTS_PER_NAMESPACE: '0' }).MAX_EVENTS_PER_NAMESPACE,
    ).toBe(0);
    expect(() =>
      loadSettings({
        ...required,
        EVENTS_CONFIGMAP_NAME: 'e'.repeat(252),
        EVENTS_CONFIG_SHARDS: '16',
      }),
    ).toThrow(/EVENTS_CONFIGMAP_NAME: is too long for its shards: 255 characters/);
  });

  it('reads a list of namespaces to watch', () => {
    expect(
      loadSettings({ ...required, WATCH_NAMESPACES: 'shop-a, shop-b' }).WATCH_NAMESPACES,
    ).toEqual(['shop-a', 'shop-b']);
  });

  it('names every bad variable', () => {
    expect(() =>
      loadSettings({
        PLATFORM_NAMESPACE: 'Not_A_Namespace',
        GATE_ADMIN_URL: 'gate:9090',
        ISSUER_MIN_REPLICAS: '9',
        ISSUER_MAX_REPLICAS: '3',
        LEASE_RENEW_DEADLINE_SECONDS: '20',
      }),
    ).toThrow(
      /PLATFORM_NAMESPACE: must be a Kubernetes namespace name.*GATE_ADMIN_URL: must be a URL starting with http:\/\/ or https:\/\//,
    );
    expect(() =>
      loadSettings({ ...required, ISSUER_MIN_REPLICAS: '9', ISSUER_MAX_REPLICAS: '3' }),
    ).toThrow(/ISSUER_MIN_REPLICAS: must not exceed ISSUER_MAX_REPLICAS \(3\)/);
    expect(() => loadSettings({ ...required, LEASE_RENEW_DEADLINE_SECONDS: '20' })).toThrow(
      /LEASE_RENEW_DEADLINE_SECONDS: must be less than LEASE_DURATION_SECONDS \(15\)/,
    );
  });
});
