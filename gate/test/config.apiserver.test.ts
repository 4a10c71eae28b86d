import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import {
  EVENTS_CONFIG_KEY,
  configShardName,
  configShardOf,
  eventConfigSchema,
  renderEventsConfig,
  type EventConfigInput,
} from '@rediclaim/core';
import {
  createTestNamespace,
  startPrivateStack,
  testKubeConfig,
  uniqueName,
  waitFor,
  type TestNamespace,
} from '@rediclaim/hack/testing';
import {
  ConfigMapConfigSource,
  EventsStore,
  FileConfigSource,
  Gate,
  loadGateSettings,
} from '@rediclaim/gate';
import { eventConfig } from './support/events.js';
import { listenLocally } from './support/client.js';
import { gateEnv, suiteTopics } from './support/harness.js';

/**
 * Where the events come from: the operator's ConfigMap shards on the real API server
 * (each watched: a change applies within a second; the gate serves their merge) and a
 * YAML file for standalone runs. A broken config never replaces the last good one, and
 * a broken shard never holds back the others.
 */
const logger = pino({ level: 'silent' });
const yamlOf = (events: EventConfigInput[]) =>
  renderEventsConfig(events.map((e) => eventConfigSchema.parse(e)));

/** Waits for the store to satisfy `check` and returns how long that took (ms). */
async function timeUntil(store: EventsStore, check: () => boolean): Promise<number> {
  const started = Date.now();
  await waitFor('the config change', check, 5_000, 5);
  return Date.now() - started;
}

const SHARDS = 4;

describe('events from the ConfigMap shards (real API server)', () => {
  let ns: TestNamespace;
  let api: k8s.CoreV1Api;

  beforeAll(async () => {
    ns = await createTestNamespace('gate-cm');
    api = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  });
  afterAll(async () => {
    await ns?.delete();
  });

  /** The shard ConfigMap the operator writes an event id into. */
  const shardOf = (base: string, id: string) => configShardName(base, configShardOf(id, SHARDS));
  /** Creates or replaces one shard with these events (or with `text` as it is). */
  const writeShard = async (name: string, events: EventConfigInput[], text = yamlOf(events)) => {
    const body = { metadata: { name }, data: { [EVENTS_CONFIG_KEY]: text } };
    try {
      await api.replaceNamespacedConfigMap({ name, namespace: ns.name, body });
    } catch {
      await api.createNamespacedConfigMap({ namespace: ns.name, body });
    }
  };
  /** Ids that land in different shards, `n` of them. */
  const idsInDistinctShards = (prefix: string, n: number): string[] => {
    const byShard = new Map<number, string>();
    for (let i = 0; byShard.size < n; i++) {
      const id = `${prefix}-${i}`;
      if (!byShard.has(configShardOf(id, SHARDS))) byShard.set(configShardOf(id, SHARDS), id);
    }
    return [...byShard.values()];
  };
  const start = async (base: string, invalid: Error[] = []) => {
    const store = new EventsStore();
    const source = new ConfigMapConfigSource(
      { namespace: ns.name, name: base },
      { store, logger, onInvalid: (e) => invalid.push(e) },
      testKubeConfig(),
      { shards: SHARDS },
    );
    await source.start();
    return { store, source };
  };

  it('starts with no events while no shard exists, then applies every change within a second', async () => {
    const base = uniqueName('events');
    const invalid: Error[] = [];
    const { store, source } = await start(base, invalid);
    try {
      expect(store.loaded).toBe(true);
      expect(store.size).toBe(0);

      const name = shardOf(base, 'cm-a');
      await writeShard(name, [eventConfig('cm-a', { stock: 10 })]);
      expect(await timeUntil(store, () => store.get('cm-a') !== undefined)).toBeLessThan(1_000);

      await writeShard(name, [eventConfig('cm-a', { stock: 20, generation: 2 })]);
      expect(await timeUntil(store, () => store.get('cm-a')?.stock === 20)).toBeLessThan(1_000);

      // A broken shard (stock 0) is refused and its last good events stay.
      await writeShard(name, [], yamlOf([eventConfig('cm-a')]).replace('stock: 1000', 'stock: 0'));
      await waitFor('the refusal', () => invalid.length === 1);
      expect(invalid[0]!.message).toMatch(/coupon\.stock: must be at least 1/);
      expect(invalid[0]!.message).toContain(name);
      expect(store.get('cm-a')?.stock).toBe(20);

      await api.deleteNamespacedConfigMap({ name, namespace: ns.name });
      expect(await timeUntil(store, () => store.size === 0)).toBeLessThan(1_000);
    } finally {
      await source.stop();
    }
  });

  it('serves the events of every shard, and a broken shard costs only its own changes', async () => {
    const base = uniqueName('events');
    const [a, b, c] = idsInDistinctShards('multi', 3) as [string, string, string];
    // Two shards exist before the gate starts, a third comes later.
    await writeShard(shardOf(base, a), [eventConfig(a, { stock: 1 })]);
    await writeShard(shardOf(base, b), [eventConfig(b, { stock: 2 })]);
    const invalid: Error[] = [];
    const { store, source } = await start(base, invalid);
    try {
      expect([store.get(a)?.stock, store.get(b)?.stock, store.get(c)]).toEqual([1, 2, undefined]);
      await writeShard(shardOf(base, c), [eventConfig(c, { stock: 3 })]);
      expect(await timeUntil(store, () => store.get(c)?.stock === 3)).toBeLessThan(1_000);

      // a's shard breaks (not YAML): a keeps its last good config...
      await writeShard(shardOf(base, a), [], 'events: [ {id: ');
      await waitFor('the refusal', () => invalid.length === 1);
      expect(invalid[0]!.message).toMatch(/is not valid YAML/);
      expect(store.get(a)?.stock).toBe(1);
      // ...while the other shards still apply within a second.
      await writeShard(shardOf(base, b), [eventConfig(b, { stock: 22, generation: 2 })]);
      expect(await timeUntil(store, () => store.get(b)?.stock === 22)).toBeLessThan(1_000);
      expect([store.get(a)?.stock, store.get(c)?.stock]).toEqual([1, 3]);

      // Fixed, a's shard applies again.
      await writeShard(shardOf(base, a), [eventConfig(a, { stock: 11, generation: 2 })]);
      expect(await timeUntil(store, () => store.get(a)?.stock === 11)).toBeLessThan(1_000);
      expect(store.size).toBe(3);
    } finally {
      await source.stop();
    }
  });

  it('serves an id found in two shards (while the shard count changes) from the shard it hashes to', async () => {
    const base = uniqueName('events');
    const [id, elsewhere] = idsInDistinctShards('moved', 2) as [string, string];
    await writeShard(shardOf(base, elsewhere), [eventConfig(id, { stock: 5 })]);
    await writeShard(shardOf(base, id), [eventConfig(id, { stock: 6 })]);
    const { store, source } = await start(base);
    try {
      expect(store.get(id)?.stock).toBe(6);
      expect(store.size).toBe(1);
    } finally {
      await source.stop();
    }
  });

  it('serves an event to shoppers within a second of the operator writing it', async () => {
    const topics = await suiteTopics('cm', 1);
    const base = uniqueName('events');
    const eventId = uniqueName('cm-live');
    const settings = loadGateSettings({
      ...gateEnv(topics, { EVENTS_CONFIGMAP: `${ns.name}/${base}` }),
      EVENTS_CONFIG_SHARDS: String(SHARDS),
      GATE_PORT: '1',
      GATE_ADMIN_PORT: '2',
    });
    const gate = new Gate({ settings, logger, kubeConfig: testKubeConfig(), background: false });
    await gate.start({ listen: false });
    const http = await listenLocally(gate.app);
    try {
      const join = () => http({ method: 'POST', url: `/v1/events/${eventId}/queue?userId=u1` });
      expect((await join()).statusCode).toBe(404);
      const written = Date.now();
      await writeShard(shardOf(base, eventId), [eventConfig(eventId, { mode: 'paused' })]);
      await waitFor(
        'the event to be served',
        async () => (await join()).statusCode === 201,
        5_000,
        10,
      );
      expect(Date.now() - written).toBeLessThan(1_000);
      expect((await http({ url: '/readyz' })).json().checks.config).toMatchObject({ ok: true });
    } finally {
      await gate.stop();
    }
  });
});

describe('events from the ConfigMap across an API server restart (private stack)', () => {
  it('keeps following the ConfigMap after the API server goes away and comes back', async () => {
    const stack = await startPrivateStack('gate-watch', ['apiserver']);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(stack.env.kubeconfig);
    const api = kc.makeApiClient(k8s.CoreV1Api);
    const store = new EventsStore();
    // One shard: the ConfigMap events-0.
    const source = new ConfigMapConfigSource(
      { namespace: 'default', name: 'events' },
      { store, logger },
      kc,
      { shards: 1 },
    );
    const write = async (stock: number) => {
      const body = {
        metadata: { name: 'events-0' },
        data: { [EVENTS_CONFIG_KEY]: yamlOf([eventConfig('w', { stock })]) },
      };
      try {
        await api.replaceNamespacedConfigMap({ name: 'events-0', namespace: 'default', body });
      } catch {
        await api.createNamespacedConfigMap({ namespace: 'default', body });
      }
    };
    try {
      await write(1);
      await source.start();
      expect(store.get('w')?.stock).toBe(1);
      await stack.stack('restart', 'apiserver');
      await write(2);
      await waitFor('the change after the restart', () => store.get('w')?.stock === 2, 20_000, 50);
      // And the watch is live again: the next change is quick.
      await write(3);
      expect(await timeUntil(store, () => store.get('w')?.stock === 3)).toBeLessThan(1_000);
    } finally {
      await source.stop();
      await stack.destroy();
    }
  }, 120_000);
});

describe('events from a file (standalone)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rc-gate-file-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('applies an edited file within a second and keeps the last good config when the file breaks', async () => {
    const file = path.join(dir, 'events.yaml');
    writeFileSync(file, yamlOf([eventConfig('f-a', { stock: 5 })]));
    const store = new EventsStore();
    const invalid: Error[] = [];
    const source = new FileConfigSource(file, { store, logger, onInvalid: (e) => invalid.push(e) });
    await source.start();
    try {
      expect(store.get('f-a')?.stock).toBe(5);
      writeFileSync(file, yamlOf([eventConfig('f-a', { stock: 6 })]));
      expect(await timeUntil(store, () => store.get('f-a')?.stock === 6)).toBeLessThan(1_000);

      writeFileSync(file, 'events: [ {id: "f-a", ');
      await waitFor('the refusal', () => invalid.length === 1);
      expect(invalid[0]!.message).toMatch(/is not valid YAML/);
      expect(store.get('f-a')?.stock).toBe(6);

      rmSync(file);
      await waitFor('the missing file to be reported', () => invalid.length === 2);
      expect(store.get('f-a')?.stock).toBe(6);
      writeFileSync(file, yamlOf([]));
      expect(await timeUntil(store, () => store.size === 0)).toBeLessThan(1_000);
    } finally {
      await source.stop();
    }
  });

  it('is not ready before a valid config was ever read', async () => {
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, 'events: 42');
    const store = new EventsStore();
    const source = new FileConfigSource(file, { store, logger });
    await source.start();
    try {
      expect(store.loaded).toBe(false);
    } finally {
      await source.stop();
    }
  });
});
