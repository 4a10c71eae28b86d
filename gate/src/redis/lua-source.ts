import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The gate's Lua scripts are files, gate/lua/<name>.lua (BullMQ style), with shared
 * pieces in gate/lua/includes/. The same directory is found from src/ (tests) and dist/
 * (builds).
 */
export const LUA_DIR = fileURLToPath(new URL('../../lua/', import.meta.url));

/** The source of one script, `-- @include "name"` lines replaced by includes/<name>.lua. */
export function scriptSource(name: string, dir = LUA_DIR): string {
  const text = readFileSync(`${dir}${name}.lua`, 'utf8');
  return text.replace(/^-- @include "([a-z_]+)"$/gm, (_line, include: string) =>
    readFileSync(`${dir}includes/${include}.lua`, 'utf8').trimEnd(),
  );
}

/**
 * The KEYS a script's header comment documents (`KEYS[n] name ...` lines, in order): the
 * test that keeps each script's declared key list and its Lua in step reads them.
 */
export function documentedKeys(name: string, dir = LUA_DIR): string[] {
  const text = readFileSync(`${dir}${name}.lua`, 'utf8');
  const header = text.slice(0, text.indexOf(']]'));
  return [...header.matchAll(/^\s*KEYS\[(\d+)\]\s+(\w+)/gm)]
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => m[2]!);
}
