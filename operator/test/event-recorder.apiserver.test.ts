// Kubernetes Events through events.k8s.io/v1 on the real API server of the test stack.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { createTestNamespace, testKubeConfig, type TestNamespace } from '@rediclaim/hack/testing';
import { pino } from 'pino';
import { EventRecorder } from '../src/runtime/event-recorder.js';
import { waitFor } from './support/fixture.js';

describe('Kubernetes Events (real API server)', () => {
  const kc = testKubeConfig();
  const api = kc.makeApiClient(k8s.EventsV1Api);
  let ns: TestNamespace;

  beforeAll(async () => {
    ns = await createTestNamespace('op-ev');
  });
  afterAll(async () => {
    await ns?.delete();
  });

  it('records an Event once and folds its repeats into a series', async () => {
    const recorder = new EventRecorder(api, {
      controller: 'rediclaim.io/operator',
      instance: 'test',
      logger: pino({ level: 'silent' }),
      seriesIntervalMs: 0,
    });
    const regarding = {
      apiVersion: 'rediclaim.io/v1alpha1',
      kind: 'CouponEvent',
      name: 'sale',
      namespace: ns.name,
      uid: 'u-1',
    };
    recorder.record(regarding, 'Warning', 'GateUnreachable', 'Observe', 'the gate did not answer');
    await recorder.flush();
    recorder.record(regarding, 'Warning', 'GateUnreachable', 'Observe', 'the gate did not answer');
    recorder.record(regarding, 'Warning', 'GateUnreachable', 'Observe', 'the gate did not answer');
    recorder.record(regarding, 'Normal', 'Configured', 'Render', 'rendered');
    await recorder.flush();
    const events = await waitFor('two Events', async () => {
      const list = await api.listNamespacedEvent({ namespace: ns.name });
      return list.items.length === 2 ? list.items : undefined;
    });
    const warning = events.find((e) => e.reason === 'GateUnreachable')!;
    expect(warning).toMatchObject({
      type: 'Warning',
      note: 'the gate did not answer',
      action: 'Observe',
      reportingController: 'rediclaim.io/operator',
      reportingInstance: 'test',
      regarding: { kind: 'CouponEvent', name: 'sale', uid: 'u-1' },
    });
    expect(warning.series?.count).toBe(3);
  });
});
