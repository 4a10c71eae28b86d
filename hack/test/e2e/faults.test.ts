// Fault tests of the whole platform: mid-sale, break one part (a process killed with
// SIGKILL, a server restarted), then check every promise against MySQL and what the
// shoppers were told. These servers are private to this file: restarting them must
// not disturb other suites.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPrivateStack, type E2E, type PrivateStack } from '@rediclaim/hack/testing';
import { waitFor } from '../support/e2e.js';
import { saleSurvives as survives } from '../support/sale-survives.js';

let stack: PrivateStack;

beforeAll(async () => {
  stack = await startPrivateStack('faults', ['redis', 'mariadb', 'kafka', 'apiserver']);
}, 240_000);

afterAll(async () => {
  await stack?.destroy();
});

const saleSurvives = (name: string, fault: (e2e: E2E, eventId: string) => Promise<void>) =>
  survives(stack, name, fault);

describe('the platform keeps its promises when a part fails mid-sale', () => {
  it('survives an issuer killed with SIGKILL in the middle of a batch', async () => {
    await saleSurvives('f-issuer', async (e2e) => {
      await e2e.platform.issuers()[0]!.stop('SIGKILL');
      await waitFor('the issuer to be restarted', async () => e2e.platform.restarts().issuers >= 1);
    });
  }, 240_000);

  it('survives a gate replica killed with SIGKILL while shoppers use it', async () => {
    await saleSurvives('f-gate', async (e2e) => {
      await e2e.platform.gates()[0]!.stop('SIGKILL');
      await waitFor('the gate to be restarted', async () => e2e.platform.restarts().gates >= 1);
    });
  }, 240_000);

  it('survives a Kafka broker restart', async () => {
    await saleSurvives('f-kafka', async () => {
      await stack.stack('restart', 'kafka');
    });
  }, 240_000);

  it('keeps the waiting room open through a Kafka outage: gates stay ready, polls answered, admission pauses and resumes by itself', async () => {
    const report = await saleSurvives('f-kafka-out', async (e2e, eventId) => {
      await stack.stack('down', 'kafka');
      const { gateAdminUrls, adminToken } = e2e.platform;
      const stats = async (admin: string) => {
        const res = await fetch(
          `${admin}/internal/v1/events/${e2e.tenants.shop}/${eventId}/stats`,
          {
            headers: { authorization: `Bearer ${adminToken}` },
          },
        );
        return (await res.json()) as { admission?: { paused: boolean; reason?: string } };
      };
      await waitFor(
        'every gate to pause admission',
        async () => (await Promise.all(gateAdminUrls.map(stats))).every((s) => s.admission?.paused),
        30_000,
      );
      for (const admin of gateAdminUrls) {
        expect((await fetch(`${admin}/readyz`)).status).toBe(200);
        expect((await stats(admin)).admission?.reason).toBe('KafkaUnavailable');
      }
      // The crowd keeps polling meanwhile (its errors are checked below).
      await new Promise((r) => setTimeout(r, 5_000));
      await stack.stack('up', 'kafka');
      await waitFor(
        'every gate to resume admission',
        async () =>
          (await Promise.all(gateAdminUrls.map(stats))).every((s) => !s.admission?.paused),
        60_000,
      );
    });
    // Nobody of the crowd saw an error: the room answered throughout.
    expect(report.errors).toMatchObject({ http5xx: 0, http503: 0, network: 0 });
  }, 300_000);

  it('survives a MariaDB restart', async () => {
    await saleSurvives('f-mariadb', async () => {
      await stack.stack('restart', 'mariadb');
    });
  }, 240_000);

  it('survives a Redis restart (append-only file, fsync every second: the chart’s setting)', async () => {
    await saleSurvives('f-redis', async () => {
      await stack.stack('restart', 'redis');
    });
  }, 240_000);

  it('survives the operator killed, and a second operator takes over the lease and applies changes', async () => {
    await saleSurvives('f-operator', async (e2e, eventId) => {
      await e2e.platform.startOperator(`${e2e.id}-standby`);
      await e2e.platform.operator.stop('SIGKILL');
      // A change only a leader can apply: the new generation must reach the gate.
      await e2e.patchSpec('shop', 'sale', { admission: { retentionSeconds: 7200 } });
      await waitFor(
        'the standby to take the lease and render the change',
        async () => {
          const res = await fetch(
            `${e2e.platform.gateAdminUrls[0]}/internal/v1/events/${e2e.tenants.shop}/${eventId}/stats`,
            { headers: { authorization: `Bearer ${e2e.platform.adminToken}` } },
          );
          return ((await res.json()) as { generation: number }).generation >= 2;
        },
        30_000,
      );
    });
  }, 240_000);
});
