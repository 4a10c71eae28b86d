import type { z } from 'zod';
import { ErrorCode, RediclaimError, isRediclaimError } from '../errors.js';
import { describeProblems, check } from '../validation.js';
import type { DeadLetter } from './dead-letter.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Messages are JSON: readable in any Kafka tool, and versioned by their `version` field. */
export function encodeMessage(message: object): Buffer {
  return Buffer.from(JSON.stringify(message));
}

/**
 * Decodes and validates one message. Throws INVALID_MESSAGE (not JSON, wrong shape) or
 * UNSUPPORTED_MESSAGE_VERSION (a newer producer), both meant for the dead-letter topic.
 */
export function decodeMessage<S extends z.ZodType>(
  schema: S,
  bytes: Uint8Array | null | undefined,
  what: string,
  supportedVersions: readonly number[] = [1],
): z.output<S> {
  if (!bytes || bytes.length === 0)
    throw new RediclaimError(ErrorCode.InvalidMessage, `${what} is empty`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch (error) {
    throw new RediclaimError(
      ErrorCode.InvalidMessage,
      `${what} is not UTF-8 JSON: ${(error as Error).message}`,
    );
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && !supportedVersions.includes(version)) {
    throw new RediclaimError(
      ErrorCode.UnsupportedMessageVersion,
      `${what} has version ${version}; this build reads version ${supportedVersions.join(', ')}`,
    );
  }
  const result = check(schema, parsed);
  if (!result.ok) {
    throw new RediclaimError(
      ErrorCode.InvalidMessage,
      `${what} is invalid: ${describeProblems(result.problems)}`,
      {
        problems: result.problems,
      },
    );
  }
  return result.value;
}

export interface MessageSource {
  topic: string;
  partition: number;
  offset: string;
  key: Uint8Array | string | null | undefined;
}

function text(bytes: Uint8Array | string | null | undefined): {
  value: string;
  encoding: 'utf8' | 'base64';
} {
  if (bytes === null || bytes === undefined) return { value: '', encoding: 'utf8' };
  if (typeof bytes === 'string') return { value: bytes, encoding: 'utf8' };
  try {
    return { value: utf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { value: Buffer.from(bytes).toString('base64'), encoding: 'base64' };
  }
}

/** The dead letter for a message that failed with `error`, keeping its bytes and origin. */
export function deadLetterOf(
  error: unknown,
  source: MessageSource,
  payload: Uint8Array | null | undefined,
  service: string,
  now: Date,
): DeadLetter {
  const reason = isRediclaimError(error)
    ? { code: error.code, message: error.message }
    : {
        code: 'PROCESSING_FAILED',
        message: error instanceof Error ? error.message : String(error),
      };
  const body = text(payload);
  return {
    type: 'DeadLetter',
    version: 1,
    reason,
    source: {
      topic: source.topic,
      partition: source.partition,
      offset: source.offset,
      key: source.key === null || source.key === undefined ? null : text(source.key).value,
    },
    payload: body.value,
    payloadEncoding: body.encoding,
    service,
    failedAt: now.toISOString(),
  };
}
