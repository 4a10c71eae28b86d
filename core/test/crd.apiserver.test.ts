// The CRD against the real kube-apiserver: what `kubectl apply` does with good and bad
// CouponEvents, and that the committed YAML is what the schemas generate.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import * as yaml from 'js-yaml';
import { CouponEventApi, renderCouponEventCrdYaml } from '@rediclaim/core';
import {
  createTestNamespace,
  ensureCouponEventCrd,
  repoRoot,
  stackEnv,
  testKubeConfig,
  type TestNamespace,
} from '@rediclaim/hack/testing';
import { invalidCases, laxTimes, timeFields, timeMessage, validSpec } from './support/fixtures.js';

const run = promisify(execFile);
const api = {
  group: CouponEventApi.group,
  version: CouponEventApi.version,
  plural: CouponEventApi.plural,
};

describe('the committed CRD', () => {
  it.each(['crds', 'charts/rediclaim/crds'])(
    'in %s/ is what the schemas generate (run `npm run gen:crds`)',
    (dir) => {
      const committed = readFileSync(
        path.join(repoRoot, dir, `${CouponEventApi.crdName}.yaml`),
        'utf8',
      );
      expect(committed).toBe(renderCouponEventCrdYaml());
    },
  );
});

describe('CouponEvent on the real API server', () => {
  const kc = testKubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let ns: TestNamespace;

  beforeAll(async () => {
    await ensureCouponEventCrd(kc);
    ns = await createTestNamespace('crd');
  });

  const create = (name: string, spec: unknown, options: { dryRun?: boolean } = {}) =>
    custom.createNamespacedCustomObject({
      ...api,
      namespace: ns.name,
      body: {
        apiVersion: CouponEventApi.apiVersion,
        kind: CouponEventApi.kind,
        metadata: { name },
        spec,
      },
      ...(options.dryRun ? { dryRun: 'All' } : {}),
    });

  const patchSpec = (name: string, spec: unknown) =>
    custom.patchNamespacedCustomObject(
      { ...api, namespace: ns.name, name, body: { spec } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );

  /** The API server's refusal, as kubectl would print it. */
  const refusal = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (error) {
      const body = (error as { body?: string }).body ?? '';
      return (JSON.parse(body) as { message: string }).message;
    }
    throw new Error('the API server accepted it');
  };

  it.each(readdirSync(path.join(repoRoot, 'crds/examples')))(
    'accepts the example %s and applies the defaults',
    async (file) => {
      const doc = yaml.load(readFileSync(path.join(repoRoot, 'crds/examples', file), 'utf8')) as {
        metadata: { name: string };
        spec: unknown;
      };
      const created = (await create(doc.metadata.name, doc.spec)) as {
        spec: { admission: { mode: string; retentionSeconds: number }; issuer: object };
      };
      // The API server fills in what an example leaves out, from the schema's defaults.
      expect(['fifo', 'paused']).toContain(created.spec.admission.mode);
      expect(created.spec.admission.retentionSeconds).toBeGreaterThan(0);
      expect(created.spec.issuer).toHaveProperty('maxReplicas');
    },
  );

  it.each(invalidCases)('refuses $name with a readable message', async ({ spec, apiServer }) => {
    const message = await refusal(
      create(`bad-${Math.random().toString(36).slice(2, 8)}`, spec(validSpec() as never)),
    );
    expect(message).toMatch(apiServer);
  });

  it('refuses to change eventId once shoppers may hold places under it', async () => {
    await create('immutable', validSpec());
    const message = await refusal(
      custom.patchNamespacedCustomObject(
        { ...api, namespace: ns.name, name: 'immutable', body: { spec: { eventId: 'other-id' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(message).toMatch(/spec\.eventId: .*eventId cannot change/);
  });

  it('refuses to give an eventId to an event created without one', async () => {
    const spec = validSpec();
    delete spec.eventId;
    await create('named-by-name', spec);
    expect(await refusal(patchSpec('named-by-name', { eventId: 'named-by-name' }))).toMatch(
      /spec\.eventId: .*eventId cannot change/,
    );
  });

  describe('a live change of coupon.code', () => {
    it('is refused, saying why: codes already issued must stay collision-free', async () => {
      await create('code-fixed', {
        ...validSpec(),
        coupon: { ...validSpec().coupon, code: { prefix: 'BF-', length: 10 } },
      });
      for (const code of [{ prefix: 'CM-' }, { length: 12 }, { prefix: 'CM-', length: 16 }])
        expect(await refusal(patchSpec('code-fixed', { coupon: { code } }))).toMatch(
          /spec\.coupon\.code: Invalid value: "object": coupon\.code cannot change: codes already issued must stay collision-free.*create a new CouponEvent/,
        );
    });

    it('lets every other field change, and the same code format be written again', async () => {
      await create('code-kept', validSpec());
      const updated = (await patchSpec('code-kept', {
        displayName: 'Cyber Monday',
        schedule: {
          opensAt: '2026-11-30T00:00:00Z',
          closesAt: '2026-11-30T06:00:00Z',
          preQueueOpensAt: '2026-11-29T23:00:00Z',
        },
        admission: {
          dispatchPerSecond: 500,
          mode: 'paused',
          processingTimeoutSeconds: 60,
          maxQueueLength: 5000,
          retentionSeconds: 3600,
        },
        coupon: {
          stock: 5000,
          perUserLimit: 2,
          validity: { startsAt: '2026-11-30T00:00:00Z', endsAt: '2026-12-31T00:00:00Z' },
          discount: {
            type: 'fixed',
            percent: null,
            amount: 5000,
            currency: 'KRW',
            minOrderAmount: 20000,
          },
          // The default the API server filled in, written out: not a change.
          code: { prefix: '', length: 12 },
        },
        issuer: { perReplicaThroughput: 1000, minReplicas: 2, maxReplicas: 6 },
      })) as { metadata: { generation: number }; spec: { coupon: { code: unknown } } };
      expect(updated.metadata.generation).toBe(2);
      expect(updated.spec.coupon.code).toEqual({ prefix: '', length: 12 });
      // Removing it gives the default back: still the same format.
      await patchSpec('code-kept', { coupon: { code: null } });
    });
  });

  describe.each(timeFields)('the time $path', ({ path: field, set }) => {
    it.each(laxTimes)(
      'is refused at apply when written %s, with a message about the time itself',
      async (value) => {
        const spec = validSpec();
        set(spec, value);
        const message = await refusal(create('lax-time', spec, { dryRun: true }));
        expect(message).toContain(
          `spec.${field}: Invalid value: "string": ${timeMessage}, not "${value}"`,
        );
        // Nothing else: no rule about the order of times, no conversion error.
        expect(message).not.toMatch(/must be (after|before)|would be expired|conversion error/);
      },
    );
  });

  it('takes the times zod takes, and orders them to the nanosecond as zod does', async () => {
    const schedule = (opensAt: string, closesAt: string) => ({
      ...validSpec(),
      schedule: { opensAt, closesAt },
    });
    for (const [opensAt, closesAt] of [
      ['2028-02-29T00:00:00Z', '2028-03-01T00:00:00Z'],
      ['2026-11-27T09:00:00+09:00', '2026-11-27T00:00:01Z'],
      ['2026-11-27T00:00:00.0001Z', '2026-11-27T00:00:00.0002Z'],
      ['2026-11-27T00:00:00-00:00', '2026-11-27T00:00:00.123456789+00:00'],
    ] as const)
      await create('good-time', schedule(opensAt, closesAt), { dryRun: true });
    for (const [opensAt, closesAt] of [
      ['2026-11-27T00:00:00.0002Z', '2026-11-27T00:00:00.0001Z'],
      ['2026-11-27T00:00:00.0000000001Z', '2026-11-27T00:00:00.0000000002Z'],
      ['2026-11-27T09:00:00+09:00', '2026-11-27T00:00:00Z'],
    ] as const)
      expect(
        await refusal(create('bad-order', schedule(opensAt, closesAt), { dryRun: true })),
      ).toMatch(
        /spec\.schedule\.closesAt: Invalid value: "object": closesAt must be after opensAt/,
      );
    const leap = validSpec();
    leap.schedule.opensAt = '2026-02-29T00:00:00Z';
    expect(await refusal(create('not-a-day', leap, { dryRun: true }))).toContain(timeMessage);
  });

  it('refuses a name too long to serve as the event id unless spec.eventId is set', async () => {
    const spec = validSpec();
    delete spec.eventId;
    const longName = `sale-${'x'.repeat(70)}`;
    expect(await refusal(create(longName, spec))).toMatch(
      /metadata\.name is longer than 63 characters.*set spec\.eventId/,
    );
    await create(longName, { ...spec, eventId: 'short-id' });
  });

  it('shows phase, stock, issued, waiting and the Ready reason in `kubectl get couponevents`', async () => {
    await create('columns', { ...validSpec(), eventId: 'columns' });
    await custom.patchNamespacedCustomObjectStatus(
      {
        ...api,
        namespace: ns.name,
        name: 'columns',
        body: {
          status: {
            eventId: 'columns',
            phase: 'Open',
            counts: { waiting: 42, processing: 3, issued: 7, remaining: 993 },
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                reason: 'StockBelowIssued',
                message: 'spec.coupon.stock is 5 but 7 coupons were already issued.',
                lastTransitionTime: '2026-11-27T00:00:00Z',
                observedGeneration: 1,
              },
              {
                type: 'Accepted',
                status: 'False',
                reason: 'StockBelowIssued',
                message: 'spec.coupon.stock is 5 but 7 coupons were already issued.',
                lastTransitionTime: '2026-11-27T00:00:00Z',
                observedGeneration: 1,
              },
            ],
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const { stdout } = await run('kubectl', [
      '--kubeconfig',
      stackEnv().kubeconfig,
      'get',
      'couponevents',
      '-n',
      ns.name,
      'columns',
    ]);
    const [header, row] = stdout.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual([
      'NAME',
      'EVENT',
      'PHASE',
      'STOCK',
      'ISSUED',
      'WAITING',
      'REASON',
      'AGE',
    ]);
    expect(row!.split(/\s+/).slice(0, 7)).toEqual([
      'columns',
      'columns',
      'Open',
      '1000',
      '7',
      '42',
      'StockBelowIssued',
    ]);
  });

  it('explains every status field in `kubectl explain couponevent.status`', async () => {
    const explain = (field: string) =>
      run('kubectl', [
        '--kubeconfig',
        stackEnv().kubeconfig,
        'explain',
        `couponevents.${field}`,
        `--api-version=${CouponEventApi.apiVersion}`,
      ]).then((r) => r.stdout);
    // The API server publishes a new CRD schema to its OpenAPI document within seconds.
    let status = '';
    for (let i = 0; i < 60 && !status.includes('Ready says whether'); i++) {
      status = await explain('status').catch(() => '');
      if (!status.includes('Ready says whether')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toMatch(/DESCRIPTION:\s+What the operator last observed\./);
    for (const field of [
      'observedGeneration',
      'phase',
      'eventId',
      'stock',
      'counts',
      'nextTransitionAt',
      'conditions',
    ])
      // Each field, its type, an enum line for enums, then its description.
      expect(status).toMatch(new RegExp(`\\n  ${field}\\s+<[^>]+>\\n(  enum: .*\\n)?    \\S`));
    const reason = await explain('status.conditions.reason');
    expect(reason).toMatch(/Why, in one CamelCase word for machines/);
    // kubectl wraps descriptions at 80 columns.
    const phase = (await explain('status.phase')).replace(/\s+/g, ' ');
    expect(phase).toMatch(/Failed \(refused and nothing served: see the Accepted condition\)/);
  });
});
