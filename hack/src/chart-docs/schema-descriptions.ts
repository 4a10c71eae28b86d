// values.schema.json is written by hand for what it refuses (patterns, enums, ranges,
// additionalProperties: false); only its descriptions come from values.yaml, so the words
// of a value are written once. Pure: schema in, schema out.
import { ChartDocsError } from './errors.js';

export interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
  [keyword: string]: unknown;
}

export interface DocumentedKey {
  name: string;
  description: string;
}

/**
 * The schema with each documented key's description set from its @param. A documented map or
 * list ([object]/[array]) describes the property itself, not its entries. Throws when a key
 * has no property, or a property (under the top-level `properties`, not `definitions`)
 * neither a @param nor documented children.
 */
export function describeSchema(
  schema: SchemaNode,
  documented: DocumentedKey[],
  skipped: string[] = [],
): SchemaNode {
  const described = structuredClone(schema);
  const problems: string[] = [];
  for (const key of documented) {
    const node = propertyAt(described, key.name);
    if (node) node.description = key.description;
    else problems.push(`${key.name} has a @param in values.yaml but no property in the schema`);
  }
  const names = new Set(documented.map((key) => key.name));
  const walk = (node: SchemaNode, prefix: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const name = prefix + key;
      if (names.has(name) || skipped.includes(name)) continue;
      if (child.properties) walk(child, `${name}.`);
      else problems.push(`${name} is a property of the schema but has no @param in values.yaml`);
    }
  };
  walk(described, '');
  if (problems.length > 0) {
    throw new ChartDocsError(
      `values.schema.json and the @param comments of values.yaml disagree:\n` +
        problems.map((problem) => `  ${problem}`).join('\n'),
    );
  }
  return described;
}

function propertyAt(schema: SchemaNode, dottedKey: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const key of dottedKey.split('.')) {
    node =
      node.properties && Object.hasOwn(node.properties, key) ? node.properties[key] : undefined;
    if (!node) return undefined;
  }
  return node;
}
