import {
  decodeIssueResults,
  type DeadLetter,
  type DecodedRecord,
  type IssueResult,
} from '@rediclaim/core';
import type { Scenario } from './scenario.js';
import { TopicReader } from './topic-reader.js';

export function resultReader(s: Scenario): Promise<TopicReader<IssueResult>> {
  return new TopicReader(s, s.topics.issueResults, (v) => {
    // The issuer never publishes a result the gate could not read.
    const decoded = decodeIssueResults(v);
    if (decoded.dead.length > 0) throw decoded.dead[0]!.error;
    return decoded.values;
  }).start();
}

/** The results topic record by record: which version each answer travelled in. */
export function resultRecordReader(s: Scenario): Promise<TopicReader<DecodedRecord<IssueResult>>> {
  return new TopicReader(s, s.topics.issueResults, (v) => [decodeIssueResults(v)]).start();
}

export function deadLetterReader(s: Scenario): Promise<TopicReader<DeadLetter>> {
  return new TopicReader(s, s.topics.deadLetters, (v) => [
    JSON.parse(v.toString('utf8')) as DeadLetter,
  ]).start();
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
