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
/**
 * Parses a record's bytes as UTF-8 JSON, or throws INVALID_MESSAGE: the first step of
 * every decoder, kept apart so a reader of several record types parses once.
 */
export function parseRecord(bytes: Uint8Array | null | undefined, what: string): unknown {
  if (!bytes || bytes.length === 0)
    throw new RediclaimError(ErrorCode.InvalidMessage, `${what} is empty`);
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (error) {
    throw new RediclaimError(
      ErrorCode.InvalidMessage,
      `${what} is not UTF-8 JSON: ${(error as Error).message}`,
    );
  }
}

/** The `version` a parsed record states, when it states a number. */
export function versionOf(parsed: unknown): number | undefined {
  const version = (parsed as { version?: unknown } | null)?.version;
  return typeof version === 'number' ? version : undefined;
}

/** Throws UNSUPPORTED_MESSAGE_VERSION when the record states a version this build does not read. */
export function checkVersion(
  parsed: unknown,
  what: string,
  supportedVersions: readonly number[],
): void {
  const version = versionOf(parsed);
  if (version !== undefined && !supportedVersions.includes(version)) {
    throw new RediclaimError(
      ErrorCode.UnsupportedMessageVersion,
      `${what} has version ${version}; this build reads version ${supportedVersions.join(', ')}`,
    );
  }
}

/** Validates a parsed value, or throws INVALID_MESSAGE naming every problem. */
export function validated<S extends z.ZodType>(
  schema: S,
  parsed: unknown,
  what: string,
): z.output<S> {
  const result = check(schema, parsed);
  if (!result.ok) {
    throw new RediclaimError(
      ErrorCode.InvalidMessage,
      `${what} is invalid: ${describeProblems(result.problems)}`,
      { problems: result.problems },
    );
  }
  return result.value;
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
  const parsed = parseRecord(bytes, what);
  checkVersion(parsed, what, supportedVersions);
  return validated(schema, parsed, what);
}

export interface MessageSource {
  topic: string;
  partition: number;
  offset: string;
  key: Uint8Array | string | null | undefined;
  /** The item's place in a batch record, when only that item is dead. */
  index?: number;
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
      ...(source.index !== undefined ? { index: source.index } : {}),
    },
    payload: body.value,
    payloadEncoding: body.encoding,
    service,
    failedAt: now.toISOString(),
  };
}
