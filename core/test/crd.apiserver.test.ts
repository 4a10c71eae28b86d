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
import { invalidCases, validSpec } from './support/fixtures.js';

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

  const create = (name: string, spec: unknown) =>
    custom.createNamespacedCustomObject({
      ...api,
      namespace: ns.name,
      body: {
        apiVersion: CouponEventApi.apiVersion,
        kind: CouponEventApi.kind,
        metadata: { name },
        spec,
      },
    });

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

  it('refuses a name too long to serve as the event id unless spec.eventId is set', async () => {
    const spec = validSpec();
    delete spec.eventId;
    const longName = `sale-${'x'.repeat(70)}`;
    expect(await refusal(create(longName, spec))).toMatch(
      /metadata\.name is longer than 63 characters.*set spec\.eventId/,
    );
    await create(longName, { ...spec, eventId: 'short-id' });
  });

  it('shows phase, stock, issued and waiting in `kubectl get couponevents`', async () => {
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
      'AGE',
    ]);
    expect(row!.split(/\s+/).slice(0, 6)).toEqual([
      'columns',
      'columns',
      'Open',
      '1000',
      '7',
      '42',
    ]);
  });
});
