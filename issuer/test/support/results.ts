import { issueResultSchema, type DeadLetter, type IssueResult } from '@rediclaim/core';
import type { Scenario } from './scenario.js';
import { TopicReader } from './topic-reader.js';

export function resultReader(s: Scenario): Promise<TopicReader<IssueResult>> {
  return new TopicReader(s, s.topics.issueResults, (v) =>
    issueResultSchema.parse(JSON.parse(v.toString('utf8'))),
  ).start();
}

export function deadLetterReader(s: Scenario): Promise<TopicReader<DeadLetter>> {
  return new TopicReader(
    s,
    s.topics.deadLetters,
    (v) => JSON.parse(v.toString('utf8')) as DeadLetter,
  ).start();
}

/** The distinct requestIds answered, each with its (identical) results. */
export function byRequest(results: readonly IssueResult[]): Map<string, IssueResult[]> {
  const map = new Map<string, IssueResult[]>();
  for (const r of results) {
    const list = map.get(r.requestId) ?? [];
    list.push(r);
    map.set(r.requestId, list);
  }
  return map;
}
