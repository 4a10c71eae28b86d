/**
 * How loud a kafkajs record is in a service's log. kafkajs logs at ERROR much of the
 * trouble it then handles itself: a connection logs every failed request ("Response
 * Heartbeat(key: 12, version: 3)") before anyone has decided what to do about it, and a
 * retry loop logs each attempt that fails. What kafkajs retries, or answers by rejoining
 * its group, is debug: rebalances, broker restarts, leaders moving and topics being
 * created are the ordinary life of a cluster. What it gives up on stays loud, once: a
 * consumer's crash ("Crash: ..."), or a rejected call the service reports itself (the
 * gate's "Kafka is unreachable", the relay's failed send). Anything else keeps kafkajs'
 * level: authentication and authorisation failures, an offset reset, a failing handler.
 */

/** kafkajs' numeric log levels (logLevel.ERROR, WARN, INFO). */
const ERROR = 1;
const WARN = 2;
const INFO = 4;

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

/** The fields of a kafkajs record the level depends on. */
export interface KafkaLogFields {
  message?: unknown;
  error?: unknown;
}

/**
 * The protocol errors kafkajs retries (`retriable: true` in its src/protocol/error.js,
 * 2.2): a leader being elected or moved, a coordinator loading or moving, a topic the
 * broker does not know yet just after it was created. kafkajs' records carry only the
 * error's message, so these are its messages, word for word.
 */
const RETRIED = new Set([
  'This message has failed its CRC checksum, exceeds the valid size, or is otherwise corrupt',
  'This server does not host this topic-partition',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server is not the leader for that topic-partition',
  'The request timed out',
  'The replica is not available for the requested topic-partition',
  'The server disconnected before a response was received',
  "The coordinator is loading and hence can't process requests for this group",
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'Messages are rejected since there are fewer in-sync replicas than required',
  'Messages are written to the log, but to fewer in-sync replicas than required',
  'This is not the correct controller for this cluster',
  'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
  'Disk error when trying to access log file on the disk',
  'The fetch session ID was not found',
  'The fetch session epoch is invalid',
  'There is no listener on the leader broker that matches the listener on which metadata request was processed',
  'The leader epoch in the request is older than the epoch on the broker',
  'The leader epoch in the request is newer than the epoch on the broker',
  'The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing',
  'The preferred leader was not available',
  'Eligible topic partition leaders are not available',
  'Leader election not needed for topic partition',
  'There are unstable offsets that need to be cleared',
]);

/**
 * Group errors kafkajs does not retry as such but answers by rejoining the group (its
 * consumer runner, `isRebalancing`, the JoinGroup handshake): what a member sees while
 * its group rebalances, or after the coordinator dropped it and before it is back.
 */
const REJOINED = new Set([
  'The group is rebalancing, so a rejoin is needed',
  'Specified group generation id is not valid',
  'The coordinator is not aware of this member',
  'The group member needs to have a valid member id before actually entering a consumer group',
]);

/**
 * CreateTopics' answer when any topic failed. Every service creates the topics it uses,
 * so two starting together race, and the loser hears "already exists", which kafkajs
 * accepts; any other cause it throws to the caller, whose start-up or reconcile fails.
 */
const TOPIC_CREATION = 'Topic creation errors';

/**
 * One failed attempt of a loop kafkajs repeats: a connection that broke or never opened
 * (the request's sender retries), a send retried after refreshing metadata, a seed broker
 * skipped for the next. A broker gone for good exhausts the loop, and that is reported.
 */
const ATTEMPT =
  /^(Connection error: |Connection timeout$|Failed to send messages: |Failed to connect to seed broker, trying another broker from the list: )/;

/** A consumer catching up with partitions added to its topics (the operator adds them). */
const RESYNCED = new Set([
  'Consumer is not aware of all assigned partitions, refreshing metadata',
  'Topic has been updated, resync group',
]);

/** The consumer gave up: its retries ran out, or the error was not one to retry. */
const CRASH = /^Crash: /;

/** kafkajs starting a crashed consumer again: the crash before it said why, at ERROR. */
const RESTART = /^Restarting the consumer in /;

/** The level a kafkajs record deserves (kafkajs' level, and the record's own fields). */
export function kafkaLogLevel(level: number, log: KafkaLogFields): KafkaLogLevel {
  if (level === INFO) return 'info';
  if (level !== ERROR && level !== WARN) return 'debug';
  const loud = level === ERROR ? 'error' : 'warn';
  const message = String(log.message ?? '');
  // The give-up may quote a routine error ("Crash: ...: The coordinator is loading").
  if (CRASH.test(message)) return loud;
  if (RESTART.test(message)) return 'warn';
  if (handled(errorText(log.error)) || ATTEMPT.test(message) || RESYNCED.has(message)) {
    return 'debug';
  }
  return loud;
}

function handled(error: string): boolean {
  return RETRIED.has(error) || REJOINED.has(error) || error === TOPIC_CREATION;
}

/** kafkajs puts `error.message` in its records, and now and then the error itself. */
function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error instanceof Error) return error.message;
  return '';
}
