import type { IssuePolicy, IssueRequest } from '@rediclaim/core';

/** What the event row says before a batch: the applied generation and the counts. */
export interface AppliedState {
  generation: number;
  stock: number;
  issued: number;
  policy: IssuePolicy;
}

export interface Revision {
  generation: number;
  outcome: 'APPLIED' | 'REFUSED';
  stock: number;
  previousStock: number;
  issuedThen: number;
  policy: IssuePolicy;
}

export interface RevisionJudgement {
  /** The state after applying the acceptable newer generations (unchanged when none). */
  state: AppliedState;
  /** Newer generations met in this batch, oldest first, each applied or refused. */
  revisions: Revision[];
  /** Refused generations and their stock: requests carrying them are not decided on them. */
  refused: ReadonlyMap<number, number>;
}

/** The policy of each generation the requests carry, the first copy of each winning. */
export function policiesByGeneration(requests: readonly IssueRequest[]): Map<number, IssuePolicy> {
  const byGeneration = new Map<number, IssuePolicy>();
  for (const request of requests) {
    if (!byGeneration.has(request.policy.generation)) {
      byGeneration.set(request.policy.generation, request.policy);
    }
  }
  return byGeneration;
}

/** The newest policy the requests carry: what a new event row starts from. */
export function newestPolicy(policies: ReadonlyMap<number, IssuePolicy>): IssuePolicy {
  let newest: IssuePolicy | undefined;
  for (const policy of policies.values()) {
    if (!newest || policy.generation > newest.generation) newest = policy;
  }
  if (!newest) throw new Error('no policy to start an event from');
  return newest;
}

/**
 * Applies the newer config generations a batch carries, oldest first. The stock is
 * absolute: raising it adds the difference to what remains; lowering it is fine down
 * to what was already issued, and below that the generation is refused. A refused
 * generation changes nothing (stock, policy and generation stay), and since issued
 * never shrinks it stays refused until a newer generation is acceptable.
 */
export function judgeRevisions(
  current: AppliedState,
  policies: ReadonlyMap<number, IssuePolicy>,
): RevisionJudgement {
  const newer = [...policies.values()]
    .filter((p) => p.generation > current.generation)
    .sort((a, b) => a.generation - b.generation);
  let state = current;
  const revisions: Revision[] = [];
  const refused = new Map<number, number>();
  for (const policy of newer) {
    const base = {
      generation: policy.generation,
      stock: policy.stock,
      previousStock: state.stock,
      issuedThen: current.issued,
      policy,
    };
    if (policy.stock < current.issued) {
      revisions.push({ ...base, outcome: 'REFUSED' });
      refused.set(policy.generation, policy.stock);
    } else {
      revisions.push({ ...base, outcome: 'APPLIED' });
      state = { ...state, generation: policy.generation, stock: policy.stock, policy };
    }
  }
  // A refused generation older than one applied after it no longer matters: its
  // requests are decided on the newer applied config like any other older request.
  for (const generation of refused.keys()) {
    if (generation < state.generation) refused.delete(generation);
  }
  return { state, revisions, refused };
}
