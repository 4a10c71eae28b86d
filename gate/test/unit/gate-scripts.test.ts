import { describe, expect, it } from '@jest/globals';
import { documentedKeys, scriptKeys, scriptSource, type ScriptName } from '@rediclaim/gate';

describe('the script layer', () => {
  it.each(Object.keys(scriptKeys) as ScriptName[])(
    'passes %s the KEYS its Lua header documents, in that order',
    (name) => {
      expect([...scriptKeys[name]]).toEqual(documentedKeys(name));
    },
  );

  it.each(Object.keys(scriptKeys) as ScriptName[])(
    'reads no KEYS beyond those declared for %s',
    (name) => {
      const used = [...scriptSource(name).matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
      expect(Math.max(...used)).toBeLessThanOrEqual(scriptKeys[name].length);
    },
  );
});
