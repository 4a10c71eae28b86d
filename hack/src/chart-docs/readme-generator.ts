// The steps of @bitnami/readme-generator-for-helm (its index.js runReadmeGenerator), called
// one by one through its lib/ modules: so that a metadata error comes back as an error that
// names the keys (the tool only prints them), and so that the README shows the real default
// of an [object]/[array] value (the tool renders every one as {} or []).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as yaml from 'js-yaml';
import { ChartDocsError } from './errors.js';

/** A `## @param`, `## @extra` or `## @skip` line of values.yaml, as the tool parses it. */
export interface Parameter {
  name: string;
  description: string;
  value: unknown;
  modifiers: string[];
  readonly skip: boolean;
  readonly extra: boolean;
}

export interface Section {
  name: string;
  /** The @descriptionStart … @descriptionEnd lines, rendered above the section's table. */
  description: string;
  parameters: Parameter[];
}

interface Metadata {
  sections: Section[];
  parameters: Parameter[];
}

interface Config {
  modifiers: { array: string; object: string; default: string };
}

interface ValueEntry {
  name: string;
}

const tool = '@bitnami/readme-generator-for-helm';
const require = createRequire(import.meta.url);
const parser = require(`${tool}/lib/parser.js`) as {
  createValuesObject(valuesPath: string): ValueEntry[];
  parseMetadataComments(valuesPath: string, config: Config): Metadata;
};
const checker = require(`${tool}/lib/checker.js`) as {
  checkKeys(values: ValueEntry[], parameters: Parameter[]): void;
};
const builder = require(`${tool}/lib/builder.js`) as {
  combineMetadataAndValues(values: ValueEntry[], parameters: Parameter[]): void;
  buildParamsToRenderList(parameters: Parameter[], config: Config): Parameter[];
};
const render = require(`${tool}/lib/render.js`) as {
  insertReadmeTable(readmePath: string, sections: Section[], config: Config): void;
};
const config = JSON.parse(readFileSync(require.resolve(`${tool}/config.json`), 'utf8')) as Config;

/** What values.yaml documents, checked: every value has metadata, every metadata a value. */
export interface ValuesMetadata {
  /** Every @param and @extra, in file order (the keys the schema must have). */
  documented: Parameter[];
  /** The keys of @skip lines: their values and everything under them go undocumented. */
  skipped: string[];
  /** The tool's sections, ready for insertReadme. */
  sections: Section[];
}

/** Parses and checks the metadata of values.yaml; throws ChartDocsError naming each wrong key. */
export function readValuesMetadata(valuesPath: string): ValuesMetadata {
  const values = parser.createValuesObject(valuesPath);
  const metadata = parser.parseMetadataComments(valuesPath, config);
  // Before combineMetadataAndValues, which adds every undocumented value as a skipped one.
  const documented = metadata.parameters.filter((p) => !p.skip);
  const skipped = metadata.parameters.filter((p) => p.skip).map((p) => p.name);

  const printed = quietly(() => checker.checkKeys(values, metadata.parameters));
  if (printed.error) {
    const problems = printed.lines.filter((line) => line.startsWith('ERROR: '));
    throw new ChartDocsError(
      `${valuesPath}: the @param comments do not match the values:\n` +
        problems.map((line) => `  ${line.slice('ERROR: '.length)}`).join('\n') +
        '\nEvery value needs a "## @param <key> <description>" comment above it (maps and lists ' +
        'documented as one unit: "## @param <key> [object] ..." or "[array]").',
    );
  }
  const undescribed = documented.filter((p) => p.description.trim() === '').map((p) => p.name);
  if (undescribed.length > 0) {
    throw new ChartDocsError(
      `${valuesPath}: these @param comments have no description: ${undescribed.join(', ')}`,
    );
  }

  builder.combineMetadataAndValues(values, metadata.parameters);
  const defaults = yaml.load(readFileSync(valuesPath, 'utf8'));
  const sections = metadata.sections.map((section) => ({
    name: section.name,
    description: section.description,
    parameters: withRealDefaults(
      builder.buildParamsToRenderList(section.parameters, config),
      defaults,
    ),
  }));
  return { documented, skipped, sections };
}

/** Replaces the tables under the README's "## Parameters" heading (the file, in place). */
export function insertReadme(readmePath: string, sections: Section[]): void {
  const printed = quietly(() => render.insertReadmeTable(readmePath, sections, config));
  if (printed.error) {
    throw new ChartDocsError(`${readmePath}: ${String(printed.error)}`, { cause: printed.error });
  }
}

// The tool's [object]/[array] modifiers render the value as {} or []: right for the empty
// maps and lists, wrong for resources or a security context. Show what values.yaml holds.
function withRealDefaults(parameters: Parameter[], defaults: unknown): Parameter[] {
  const unit = [config.modifiers.object, config.modifiers.array];
  for (const p of parameters) {
    const ownDefault = p.modifiers.some((m) => m.startsWith(`${config.modifiers.default}:`));
    if (ownDefault || !p.modifiers.some((m) => unit.includes(m))) continue;
    const value = valueAt(defaults, p.name);
    if (value !== undefined) p.value = value;
  }
  return parameters;
}

function valueAt(tree: unknown, dottedKey: string): unknown {
  let node = tree;
  for (const key of dottedKey.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

// The tool narrates every step and prints its errors instead of throwing them: keep the
// lines, to put the errors into the exception and show nothing when all is well.
function quietly(step: () => void): { lines: string[]; error?: unknown } {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
  try {
    step();
    return { lines };
  } catch (error) {
    return { lines, error };
  } finally {
    console.log = log;
  }
}
