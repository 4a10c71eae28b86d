import * as k8s from '@kubernetes/client-node';
import { CouponEventApi, couponEventCrd } from '@rediclaim/core';
import { testKubeConfig } from './kube.js';

/**
 * Installs the CouponEvent CRD as the current schemas generate it (server-side apply,
 * so suites racing to install it agree) and waits until the API server serves it.
 */
export async function ensureCouponEventCrd(kc: k8s.KubeConfig = testKubeConfig()): Promise<void> {
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  await ext.patchCustomResourceDefinition(
    {
      name: CouponEventApi.crdName,
      body: couponEventCrd(),
      fieldManager: 'rediclaim-tests',
      force: true,
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
  );
  for (let i = 0; i < 150; i++) {
    const crd = await ext.readCustomResourceDefinition({ name: CouponEventApi.crdName });
    // Established flips once per CRD; NamesAccepted is re-judged on every change.
    const ok = (type: string) =>
      crd.status?.conditions?.some((c) => c.type === type && c.status === 'True');
    if (ok('Established') && ok('NamesAccepted')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${CouponEventApi.crdName} was not Established within 15s`);
}
