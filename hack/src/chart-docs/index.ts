// The chart's documentation generated from the `## @param` comments of values.yaml: the
// README's Parameters tables (by @bitnami/readme-generator-for-helm) and the descriptions
// of values.schema.json, both formatted by prettier as `npm run lint` checks them.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { checkParametersSection } from './parameters-section.js';
import { insertReadme, readValuesMetadata } from './readme-generator.js';
import { describeSchema, type SchemaNode } from './schema-descriptions.js';
import { repoRoot } from '../testing/env.js';

export { ChartDocsError } from './errors.js';
export { checkParametersSection } from './parameters-section.js';
export { readValuesMetadata, type ValuesMetadata } from './readme-generator.js';
export { describeSchema, type DocumentedKey, type SchemaNode } from './schema-descriptions.js';

export interface ChartDocFiles {
  values: string;
  readme: string;
  schema: string;
}

export function chartDocFiles(chartDir: string): ChartDocFiles {
  return {
    values: path.join(chartDir, 'values.yaml'),
    readme: path.join(chartDir, 'README.md'),
    schema: path.join(chartDir, 'values.schema.json'),
  };
}

/**
 * Rewrites files.readme and files.schema from files.values. Every check runs before the
 * first write, so a ChartDocsError leaves both files as they were.
 */
export async function generateChartDocs(files: ChartDocFiles): Promise<void> {
  const metadata = readValuesMetadata(files.values);
  const schema = JSON.parse(readFileSync(files.schema, 'utf8')) as SchemaNode;
  const described = describeSchema(schema, metadata.documented, metadata.skipped);
  checkParametersSection(files.readme, readFileSync(files.readme, 'utf8'));

  insertReadme(files.readme, metadata.sections);
  writeFileSync(files.readme, await formatted(files.readme, readFileSync(files.readme, 'utf8')));
  writeFileSync(files.schema, await formatted(files.schema, JSON.stringify(described, null, 2)));
}

// The repository's prettier settings wherever the files are (a test writes copies to a
// temp dir), as `prettier --check .` applies them.
async function formatted(file: string, text: string): Promise<string> {
  const options = await prettier.resolveConfig(file, {
    config: path.join(repoRoot, '.prettierrc.json'),
    editorconfig: true,
  });
  return prettier.format(text, { ...options, filepath: file });
}
