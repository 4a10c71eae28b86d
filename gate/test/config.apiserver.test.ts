import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import {
  EVENTS_CONFIG_KEY,
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
 * Where the events come from: the operator's ConfigMap on the real API server (watched:
 * a change applies within a second) and a YAML file for standalone runs. A broken config
 * never replaces the last good one.
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

describe('events from the ConfigMap (real API server)', () => {
  let ns: TestNamespace;
  let api: k8s.CoreV1Api;
  const name = 'rediclaim-events';

  beforeAll(async () => {
    ns = await createTestNamespace('gate-cm');
    api = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  });
  afterAll(async () => {
    await ns?.delete();
  });

  it('starts with no events while the ConfigMap is missing, then applies every change within a second', async () => {
    const store = new EventsStore();
    const invalid: Error[] = [];
    const source = new ConfigMapConfigSource(
      { namespace: ns.name, name },
      { store, logger, onInvalid: (e) => invalid.push(e) },
      testKubeConfig(),
    );
    await source.start();
    try {
      expect(store.loaded).toBe(true);
      expect(store.size).toBe(0);

      await api.createNamespacedConfigMap({
        namespace: ns.name,
        body: {
          metadata: { name },
          data: { [EVENTS_CONFIG_KEY]: yamlOf([eventConfig('cm-a', { stock: 10 })]) },
        },
      });
      expect(await timeUntil(store, () => store.get('cm-a') !== undefined)).toBeLessThan(1_000);

      await api.replaceNamespacedConfigMap({
        name,
        namespace: ns.name,
        body: {
          metadata: { name },
          data: {
            [EVENTS_CONFIG_KEY]: yamlOf([
              eventConfig('cm-a', { stock: 20, generation: 2 }),
              eventConfig('cm-b'),
            ]),
          },
        },
      });
      expect(await timeUntil(store, () => store.get('cm-a')?.stock === 20)).toBeLessThan(1_000);
      expect(store.get('cm-b')).toBeDefined();

      // A broken config (stock 0) is refused and the last good one stays.
      await api.replaceNamespacedConfigMap({
        name,
        namespace: ns.name,
        body: {
          metadata: { name },
          data: {
            [EVENTS_CONFIG_KEY]: yamlOf([eventConfig('cm-a')]).replace('stock: 1000', 'stock: 0'),
          },
        },
      });
      await waitFor('the refusal', () => invalid.length === 1);
      expect(invalid[0]!.message).toMatch(/coupon\.stock: must be at least 1/);
      expect(store.get('cm-a')?.stock).toBe(20);
      expect(store.get('cm-b')).toBeDefined();

      await api.deleteNamespacedConfigMap({ name, namespace: ns.name });
      expect(await timeUntil(store, () => store.size === 0)).toBeLessThan(1_000);
    } finally {
      await source.stop();
    }
  });

  it('serves an event to shoppers within a second of the operator writing it', async () => {
    const topics = await suiteTopics('cm', 1);
    const cmName = uniqueName('events');
    const eventId = uniqueName('cm-live');
    const settings = loadGateSettings({
      ...gateEnv(topics, { EVENTS_CONFIGMAP: `${ns.name}/${cmName}` }),
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
      await api.createNamespacedConfigMap({
        namespace: ns.name,
        body: {
          metadata: { name: cmName },
          data: { [EVENTS_CONFIG_KEY]: yamlOf([eventConfig(eventId, { mode: 'paused' })]) },
        },
      });
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
    const source = new ConfigMapConfigSource(
      { namespace: 'default', name: 'events' },
      { store, logger },
      kc,
    );
    const write = async (stock: number) => {
      const body = {
        metadata: { name: 'events' },
        data: { [EVENTS_CONFIG_KEY]: yamlOf([eventConfig('w', { stock })]) },
      };
      try {
        await api.replaceNamespacedConfigMap({ name: 'events', namespace: 'default', body });
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
