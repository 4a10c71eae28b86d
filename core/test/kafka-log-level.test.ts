import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { kafkaClientConfig, kafkaLogLevel, type LevelLogger } from '@rediclaim/core';

// kafkajs' numeric levels, as its logCreator hands them over.
const ERROR = 1;
const WARN = 2;
const INFO = 4;
const DEBUG = 5;

type Level = keyof LevelLogger;

interface Case {
  /** What the record is, in the words of whoever reads the log. */
  what: string;
  level: number;
  /** The record's fields as kafkajs logs them (our logs' `msg` is its `message`). */
  log: Record<string, unknown>;
  expected: Level;
}

const response = (api: string, error: string) => ({
  broker: '127.0.0.1:27003',
  clientId: 'rediclaim-gate',
  error,
  correlationId: 9,
  size: 10,
  message: `Response ${api}`,
});

// Records from the test stack's logs (.rediclaim/test/logs), as the services wrote them
// before this rule: kafkajs' level is the one they were logged at.
const fromTestLogs: Case[] = [
  {
    what: 'a heartbeat after the coordinator dropped the member (the gate, rejoining)',
    level: ERROR,
    log: response('Heartbeat(key: 12, version: 3)', 'The coordinator is not aware of this member'),
    expected: 'debug',
  },
  {
    what: 'the consumer rejoining after the coordinator dropped it',
    level: ERROR,
    log: {
      groupId: 'gate-e094c637',
      memberId: 'rediclaim-gate-e677d63e-2270-48d1-8147-65f8a5e2b00d',
      error: 'The coordinator is not aware of this member',
      message: 'The coordinator is not aware of this member, re-joining the group',
    },
    expected: 'debug',
  },
  {
    what: 'a heartbeat while the group rebalances',
    level: WARN,
    log: response(
      'Heartbeat(key: 12, version: 3)',
      'The group is rebalancing, so a rejoin is needed',
    ),
    expected: 'debug',
  },
  {
    what: 'a SyncGroup while the group rebalances',
    level: WARN,
    log: response(
      'SyncGroup(key: 14, version: 3)',
      'The group is rebalancing, so a rejoin is needed',
    ),
    expected: 'debug',
  },
  {
    what: 'the consumer rejoining a rebalancing group',
    level: WARN,
    log: {
      groupId: 'procs-fb052c7a-issuer',
      memberId: 'rediclaim-issuer-vm-b1451aad-9c51-4c28-93cd-4e2acef59ba9',
      error: 'The group is rebalancing, so a rejoin is needed',
      message: 'The group is rebalancing, re-joining',
    },
    expected: 'debug',
  },
  {
    what: 'an offset commit of the generation a rebalance just ended',
    level: ERROR,
    log: response('OffsetCommit(key: 8, version: 5)', 'Specified group generation id is not valid'),
    expected: 'debug',
  },
  {
    what: 'the same commit, logged at WARN',
    level: WARN,
    log: response('OffsetCommit(key: 8, version: 5)', 'Specified group generation id is not valid'),
    expected: 'debug',
  },
  {
    what: 'metadata of a topic just created (the issuer starting)',
    level: ERROR,
    log: response('Metadata(key: 3, version: 6)', 'This server does not host this topic-partition'),
    expected: 'debug',
  },
  {
    what: 'metadata while a partition elects its leader',
    level: ERROR,
    log: response(
      'Metadata(key: 3, version: 6)',
      'There is no leader for this topic-partition as we are in the middle of a leadership election',
    ),
    expected: 'debug',
  },
  {
    what: 'offsets asked of a broker that is no longer the leader',
    level: ERROR,
    log: response(
      'ListOffsets(key: 2, version: 3)',
      'This server is not the leader for that topic-partition',
    ),
    expected: 'debug',
  },
  {
    what: 'a produce to a broker that is no longer the leader',
    level: ERROR,
    log: response(
      'Produce(key: 0, version: 7)',
      'This server is not the leader for that topic-partition',
    ),
    expected: 'debug',
  },
  {
    what: 'the send kafkajs retries after refreshing metadata',
    level: ERROR,
    log: {
      retryCount: 0,
      retryTime: 112,
      message: 'Failed to send messages: This server is not the leader for that topic-partition',
    },
    expected: 'debug',
  },
  {
    what: 'two services creating the same topics at once',
    level: ERROR,
    log: response('CreateTopics(key: 19, version: 3)', 'Topic creation errors'),
    expected: 'debug',
  },
  {
    what: 'a connection refused while the broker restarts',
    level: ERROR,
    log: {
      broker: '127.0.0.1:46769',
      clientId: 'rediclaim-gate',
      stack:
        'Error: connect ECONNREFUSED 127.0.0.1:46769\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:2083:16)',
      message: 'Connection error: connect ECONNREFUSED 127.0.0.1:46769',
    },
    expected: 'debug',
  },
  {
    what: 'a connection reset by a broker going down',
    level: ERROR,
    log: {
      broker: '127.0.0.1:46769',
      clientId: 'rediclaim-gate',
      stack:
        'Error: read ECONNRESET\n    at TCP.onStreamRead (node:internal/stream_base_commons:221:20)',
      message: 'Connection error: read ECONNRESET',
    },
    expected: 'debug',
  },
  {
    what: 'one attempt at a seed broker, the next one tried',
    level: ERROR,
    log: {
      retryCount: 0,
      retryTime: 92,
      message:
        'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:46769',
    },
    expected: 'debug',
  },
  {
    what: 'the send retried while the broker is refused',
    level: ERROR,
    log: {
      retryCount: 1,
      retryTime: 446,
      message: 'Failed to send messages: Connection error: connect ECONNREFUSED 127.0.0.1:38745',
    },
    expected: 'debug',
  },
  {
    what: 'the consumer giving up on a broker that stays away',
    level: ERROR,
    log: {
      groupId: 'f-kafka-dd8f0f00-gate',
      retryCount: 5,
      stack:
        'KafkaJSNonRetriableError\n  Caused by: KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:46769',
      message:
        'Crash: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:46769',
    },
    expected: 'error',
  },
  {
    what: 'the consumer crashing on a connection it may not retry',
    level: ERROR,
    log: {
      groupId: 'f-kafka-dd8f0f00-gate',
      stack: 'KafkaJSNonRetriableError: Connection error: connect ECONNREFUSED 127.0.0.1:46769',
      message:
        'Crash: KafkaJSNonRetriableError: Connection error: connect ECONNREFUSED 127.0.0.1:46769',
    },
    expected: 'error',
  },
  {
    what: 'the consumer giving up on a coordinator that kept loading (a routine error, quoted)',
    level: ERROR,
    log: {
      groupId: 'f-kafka-out-5ba93806-gate',
      stack:
        "KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group",
      message:
        "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group",
    },
    expected: 'error',
  },
  {
    what: 'kafkajs starting the crashed consumer again',
    level: ERROR,
    log: {
      retryTime: 100,
      groupId: 'f-kafka-dd8f0f00-gate',
      message: 'Restarting the consumer in 100ms',
    },
    expected: 'warn',
  },
  {
    what: 'the handler of a batch throwing (Redis away)',
    level: ERROR,
    log: {
      topic: 'f-redis-f954e8ee.results',
      partition: 10,
      offset: '6',
      stack: 'MaxRetriesPerRequestError: Reached the max retries per request limit (which is 1).',
      error: new Error('Reached the max retries per request limit (which is 1).'),
      message: 'Error when calling eachBatch',
    },
    expected: 'error',
  },
  {
    what: "the relay's idempotent producer with limited retries",
    level: WARN,
    log: { message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' },
    expected: 'warn',
  },
];

// Records kafkajs 2.2 writes (src/consumer, src/admin, src/broker) that the test logs have
// not caught yet, in its words.
const fromKafkajsSource: Case[] = [
  {
    what: 'a wrong password',
    level: ERROR,
    log: {
      broker: 'kafka:9092',
      message:
        'SASL PLAIN authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN',
    },
    expected: 'error',
  },
  {
    what: 'the SASL handshake answered with a failure',
    level: ERROR,
    log: response('SaslAuthenticate(key: 36, version: 1)', 'SASL Authentication failed'),
    expected: 'error',
  },
  {
    what: 'a produce to a topic the client may not write',
    level: ERROR,
    log: response(
      'Produce(key: 0, version: 7)',
      'Not authorized to access topics: [Topic authorization failed]',
    ),
    expected: 'error',
  },
  {
    what: 'a send refused for good',
    level: ERROR,
    log: {
      retryCount: 0,
      retryTime: 300,
      message: 'Not authorized to access topics: [Topic authorization failed]',
    },
    expected: 'error',
  },
  {
    what: 'a consumer skipping to the default offset',
    level: ERROR,
    log: {
      topic: 'shop-a.requests',
      partition: 3,
      groupId: 'issuer',
      message: 'Offset out of range, resetting to default offset',
    },
    expected: 'error',
  },
  {
    what: 'a consumer assigned partitions the operator just added',
    level: WARN,
    log: {
      groupId: 'issuer',
      topic: 'shop-a.requests',
      message: 'Consumer is not aware of all assigned partitions, refreshing metadata',
    },
    expected: 'debug',
  },
  {
    what: 'a consumer resyncing after its topic grew',
    level: WARN,
    log: {
      groupId: 'issuer',
      topic: 'shop-a.requests',
      message: 'Topic has been updated, resync group',
    },
    expected: 'debug',
  },
  {
    what: 'a topic creation sent to a broker that is no longer the controller',
    level: WARN,
    log: {
      error: 'This is not the correct controller for this cluster',
      retryCount: 0,
      retryTime: 300,
      message: 'Could not create topics',
    },
    expected: 'debug',
  },
  {
    what: 'a connection that never opened in time',
    level: ERROR,
    log: { broker: 'kafka:9092', clientId: 'rediclaim-gate', message: 'Connection timeout' },
    expected: 'debug',
  },
  {
    what: 'a request that timed out (no answer in requestTimeout)',
    level: ERROR,
    log: {
      retryCount: 0,
      retryTime: 100,
      message: 'Request Produce(key: 0, version: 7) timed out',
    },
    expected: 'error',
  },
  {
    what: 'a user handler error that merely mentions a rebalance',
    level: ERROR,
    log: {
      error: 'the group is rebalancing: not mine to decide',
      message: 'Error when calling eachMessage',
    },
    expected: 'error',
  },
  {
    what: 'an informational record',
    level: INFO,
    log: { groupId: 'issuer', message: 'Consumer has joined the group' },
    expected: 'info',
  },
  {
    what: 'a debug record',
    level: DEBUG,
    log: { message: 'Request Heartbeat(key: 12, version: 3)' },
    expected: 'debug',
  },
];

describe('the level of a kafkajs record', () => {
  it.each(fromTestLogs)('from the test logs: $what -> $expected', ({ level, log, expected }) => {
    expect(kafkaLogLevel(level, log)).toBe(expected);
  });

  it.each(fromKafkajsSource)(
    'from kafkajs itself: $what -> $expected',
    ({ level, log, expected }) => {
      expect(kafkaLogLevel(level, log)).toBe(expected);
    },
  );
});

interface ProtocolError {
  type: string;
  retriable: boolean;
  message: string;
}

// kafkajs' own table of Kafka's error codes, the judge of what it retries.
const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as {
  errorCodes: ProtocolError[];
};

// The group errors kafkajs answers by rejoining rather than retrying.
const REJOINED = [
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'MEMBER_ID_REQUIRED',
];

describe('a failed request, by the protocol error it carries', () => {
  it('reads the whole of the installed kafkajs table', () => {
    expect(errorCodes.length).toBeGreaterThan(80);
  });

  it.each(errorCodes.filter((e) => e.retriable || REJOINED.includes(e.type)))(
    'is debug when kafkajs retries or rejoins: $type',
    ({ message }) => {
      expect(kafkaLogLevel(ERROR, response('Metadata(key: 3, version: 6)', message))).toBe('debug');
      expect(kafkaLogLevel(WARN, response('Metadata(key: 3, version: 6)', message))).toBe('debug');
    },
  );

  it.each(errorCodes.filter((e) => !e.retriable && !REJOINED.includes(e.type)))(
    'keeps its level when kafkajs gives up on it: $type',
    ({ message }) => {
      expect(kafkaLogLevel(ERROR, response('Produce(key: 0, version: 7)', message))).toBe('error');
      expect(kafkaLogLevel(WARN, response('Produce(key: 0, version: 7)', message))).toBe('warn');
    },
  );
});

describe("the client configuration's log routing", () => {
  const routed = (level: number, log: Record<string, unknown>) => {
    const calls: { level: Level; fields: object; message?: string }[] = [];
    const at =
      (name: Level) =>
      (fields: object, message?: string): void => {
        calls.push({ level: name, fields, message });
      };
    const logger: LevelLogger = {
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
    };
    const config = kafkaClientConfig({ clientId: 'test', brokers: ['kafka:9092'], logger });
    config.logCreator()({
      level,
      log: { timestamp: '2026-12-01T12:03:32.972Z', logger: 'kafkajs', ...log },
    });
    return calls;
  };

  it('writes a routine record at debug, its fields and message intact', () => {
    const log = response(
      'Heartbeat(key: 12, version: 3)',
      'The coordinator is not aware of this member',
    );
    expect(routed(ERROR, log)).toEqual([
      {
        level: 'debug',
        fields: {
          component: 'kafkajs',
          timestamp: '2026-12-01T12:03:32.972Z',
          logger: 'kafkajs',
          broker: '127.0.0.1:27003',
          clientId: 'rediclaim-gate',
          error: 'The coordinator is not aware of this member',
          correlationId: 9,
          size: 10,
        },
        message: 'Response Heartbeat(key: 12, version: 3)',
      },
    ]);
  });

  it("writes a consumer's crash at error", () => {
    const [call] = routed(ERROR, {
      groupId: 'issuer',
      message: 'Crash: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED',
    });
    expect(call?.level).toBe('error');
    expect(call?.message).toBe(
      'Crash: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED',
    );
  });
});
