import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChainableCommander, Redis, Result } from 'ioredis';

/**
 * The gate's Lua scripts (gate/lua/<name>.lua, BullMQ style): read once at start-up,
 * with `-- @include "name"` lines replaced by gate/lua/includes/<name>.lua, and
 * registered with ioredis `defineCommand`, which calls them by SHA (EVALSHA) and loads
 * them on NOSCRIPT. The same directory is found from src/ (tests) and dist/ (builds).
 */
export const LUA_DIR = fileURLToPath(new URL('../../lua/', import.meta.url));

export const scriptKeys = {
  enqueue: 6,
  status: 5,
  admit: 7,
  requeueStale: 4,
  requeueFailed: 4,
  recordResult: 7,
  stats: 4,
  purge: 9,
} as const;
export type ScriptName = keyof typeof scriptKeys;

/** The source of one script with its includes expanded. */
export function scriptSource(name: string, dir = LUA_DIR): string {
  const text = readFileSync(`${dir}${name}.lua`, 'utf8');
  return text.replace(/^-- @include "([a-z_]+)"$/gm, (_line, include: string) =>
    readFileSync(`${dir}includes/${include}.lua`, 'utf8').trimEnd(),
  );
}

type Arg = string | number;
type Reply = unknown[];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rcEnqueue(...args: Arg[]): Result<Reply, Context>;
    rcStatus(...args: Arg[]): Result<Reply, Context>;
    rcAdmit(...args: Arg[]): Result<Reply, Context>;
    rcRequeueStale(...args: Arg[]): Result<Reply, Context>;
    rcRequeueFailed(...args: Arg[]): Result<number, Context>;
    rcRecordResult(...args: Arg[]): Result<number, Context>;
    rcStats(...args: Arg[]): Result<Reply, Context>;
    rcPurge(...args: Arg[]): Result<number, Context>;
  }
}

const commandName = (name: ScriptName) => `rc${name[0]!.toUpperCase()}${name.slice(1)}`;

/** Registers every script on a connection (idempotent per connection). */
export function defineGateCommands(redis: Redis): Redis {
  const marked = redis as Redis & { __rcGateCommands?: boolean };
  if (marked.__rcGateCommands) return redis;
  for (const [name, numberOfKeys] of Object.entries(scriptKeys) as [ScriptName, number][]) {
    redis.defineCommand(commandName(name), { numberOfKeys, lua: scriptSource(name) });
  }
  marked.__rcGateCommands = true;
  return redis;
}

export type Pipeline = ChainableCommander;
