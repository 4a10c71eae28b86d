// Leader election on a real coordination.k8s.io Lease of the test stack's API server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import {
  createTestNamespace,
  testKubeConfig,
  uniqueName,
  type TestNamespace,
} from '@rediclaim/hack/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { LeaderElector } from '../src/runtime/leader-election.js';
import { createRuntimeMetrics } from '../src/runtime/metrics.js';
import { waitFor } from './support/fixture.js';
import { scrape, valueOf } from './support/metrics.js';

const leaseDurationMs = 2_000;
const retryPeriodMs = 200;

describe('leader election (real Lease)', () => {
  const kc = testKubeConfig();
  const api = kc.makeApiClient(k8s.CoordinationV1Api);
  let ns: TestNamespace;
  const electors: LeaderElector[] = [];

  beforeAll(async () => {
    ns = await createTestNamespace('op-le');
  });
  afterAll(async () => {
    await Promise.all(electors.map((e) => e.stop({ release: false })));
    await ns?.delete();
  });

  function candidates(lease: string) {
    const log: string[] = [];
    const registries = new Map<LeaderElector, Registry>();
    const make = (identity: string) => {
      const registry = new Registry();
      const elector = new LeaderElector({
        api,
        namespace: ns.name,
        name: lease,
        identity,
        leaseDurationMs,
        renewDeadlineMs: 1_500,
        retryPeriodMs,
        logger: pino({ level: 'silent' }),
        status: createRuntimeMetrics(registry).leaderElectionStatus,
        onStartedLeading: () => log.push(`${identity} leads`),
        onStoppedLeading: () => log.push(`${identity} stops`),
      });
      electors.push(elector);
      registries.set(elector, registry);
      elector.start();
      return elector;
    };
    /** leader_election_master_status{name=<lease>} of one candidate, as scraped. */
    const status = async (elector: LeaderElector) =>
      valueOf(await scrape(registries.get(elector)!), 'leader_election_master_status', {
        name: lease,
      });
    return { a: make('a'), b: make('b'), log, status };
  }

  /** Samples both every 20 ms: two leaders at once must never be seen. */
  function watchForTwoLeaders(a: LeaderElector, b: LeaderElector) {
    let both = false;
    const timer = setInterval(() => (both ||= a.isLeader && b.isLeader), 20);
    return () => {
      clearInterval(timer);
      return both;
    };
  }

  it('lets exactly one of two candidates lead, and the other take over when it dies', async () => {
    const { a, b, status } = candidates(uniqueName('lease'));
    const twoLeaders = watchForTwoLeaders(a, b);
    const leader = await waitFor('a leader', () => (a.isLeader ? a : b.isLeader ? b : undefined));
    const follower = leader === a ? b : a;
    await new Promise((r) => setTimeout(r, 3 * retryPeriodMs));
    expect(follower.isLeader).toBe(false);
    // A crash: it stops renewing and never releases.
    const died = Date.now();
    await leader.stop({ release: false });
    await waitFor('the follower to take over', () => follower.isLeader, 10_000);
    const takeover = Date.now() - died;
    expect(takeover).toBeGreaterThanOrEqual(leaseDurationMs - retryPeriodMs);
    expect(takeover).toBeLessThan(leaseDurationMs + 4 * retryPeriodMs + 500);
    expect(twoLeaders()).toBe(false);
    expect(await status(follower)).toBe(1);
    expect(await status(leader)).toBe(0);
  });

  it('hands over at once when the leader stops gracefully (releases the lease)', async () => {
    const lease = uniqueName('lease');
    const { a, b, log, status } = candidates(lease);
    const leader = await waitFor('a leader', () => (a.isLeader ? a : b.isLeader ? b : undefined));
    const follower = leader === a ? b : a;
    expect(await status(leader)).toBe(1);
    expect(await status(follower)).toBe(0);
    const stopped = Date.now();
    await leader.stop();
    expect(await status(leader)).toBe(0);
    await waitFor('the follower to take over', () => follower.isLeader, 5_000);
    expect(Date.now() - stopped).toBeLessThan(leaseDurationMs);
    expect(await status(follower)).toBe(1);
    expect(log.filter((l) => l.endsWith('leads'))).toHaveLength(2);
    const record = await api.readNamespacedLease({ namespace: ns.name, name: lease });
    expect(record.spec).toMatchObject({
      holderIdentity: follower === a ? 'a' : 'b',
      leaseTransitions: 1,
    });
  });
});
