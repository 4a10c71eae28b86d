// The chart's Parameters tables (README.md) and the descriptions of values.schema.json are
// generated from the @param comments of values.yaml (@bitnami/readme-generator-for-helm):
// the checked-in files are what the generator writes, a value without documentation stops
// it, and the schema and the values name the same keys. No server: files in a temp dir.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  ChartDocsError,
  checkParametersSection,
  chartDocFiles,
  describeSchema,
  generateChartDocs,
  readValuesMetadata,
  type ChartDocFiles,
  type SchemaNode,
} from '@rediclaim/hack/chart-docs';
import { repoRoot } from '@rediclaim/hack/testing';

const chart = chartDocFiles(path.join(repoRoot, 'charts', 'rediclaim'));
const read = (file: string) => readFileSync(file, 'utf8');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The chart's three files in a temp dir, to run the generator on. */
function copyOfChart(): ChartDocFiles {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rc-chart-docs-'));
  dirs.push(dir);
  const copy = chartDocFiles(dir);
  copyFileSync(chart.values, copy.values);
  copyFileSync(chart.readme, copy.readme);
  copyFileSync(chart.schema, copy.schema);
  return copy;
}

/** Fails with the first differing line and what to run, not a 1,000-line diff. */
function expectUpToDate(generated: string, checkedIn: string, file: string) {
  if (generated === checkedIn) return;
  const a = generated.split('\n');
  const b = checkedIn.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  throw new Error(
    `${path.relative(repoRoot, file)} is not what values.yaml generates: run \`npm run gen:chart-docs\`.\n` +
      `First difference, line ${line + 1}:\n  generated:  ${a[line]}\n  checked in: ${b[line]}`,
  );
}

describe('the generated chart docs', () => {
  it('are the checked-in README.md and values.schema.json (run npm run gen:chart-docs)', async () => {
    const copy = copyOfChart();
    await generateChartDocs(copy);
    expectUpToDate(read(copy.readme), read(chart.readme), chart.readme);
    expectUpToDate(read(copy.schema), read(chart.schema), chart.schema);
  });

  it('give every value a row under its section, with the real default of a map', async () => {
    const readme = read(chart.readme);
    expect(readme).toMatch(/^### Gate parameters$/m);
    expect(readme).toMatch(
      /^\| `gate\.resources` +\| Requests and limits of the gate\. +\| `\{"requests":\{"cpu":"250m","memory":"256Mi"\},"limits":\{"memory":"512Mi"\}\}` +\|$/m,
    );
    expect(readme).toMatch(/^\| `gate\.env` +\| .+ \| `\{\}` +\|$/m);
    expect(readme).toContain('Never change it during a running sale.');
    // The hand-written text below the tables survives every run.
    expect(readme).toContain('`values.schema.json`\ntakes its descriptions from the same comments');
  });

  it('leave the schema what it refuses, changing descriptions only', async () => {
    const copy = copyOfChart();
    const schema = JSON.parse(read(copy.schema)) as SchemaNode;
    const gate = schema.properties!.gate!.properties!;
    gate.replicas!.description = 'stale words';
    writeFileSync(copy.schema, JSON.stringify(schema));
    await generateChartDocs(copy);
    const written = JSON.parse(read(copy.schema)) as SchemaNode;
    const replicas = written.properties!.gate!.properties!.replicas!;
    expect(replicas).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      description: expect.stringMatching(/^Gate pods\. Ignored when `gate\.autoscaling\.enabled`/),
    });
  });
});

describe('values.yaml and values.schema.json', () => {
  it('name the same keys: every @param has a schema property, every property a @param', () => {
    const metadata = readValuesMetadata(chart.values);
    const schema = JSON.parse(read(chart.schema)) as SchemaNode;
    const described = describeSchema(schema, metadata.documented, metadata.skipped);
    expect(described).toEqual(schema);
    expect(metadata.documented.map((p) => p.name)).toEqual(
      expect.arrayContaining(['global', 'gate.resources', 'loadTest.expectStock']),
    );
  });

  it('disagree loudly when a @param has no schema property', () => {
    expect(() =>
      describeSchema({ properties: { gate: { properties: {} } } }, [
        { name: 'gate.replicas', description: 'Gate pods.' },
      ]),
    ).toThrow('gate.replicas has a @param in values.yaml but no property in the schema');
  });

  it('disagree loudly when a schema property has no @param, but not for its containers', () => {
    const schema: SchemaNode = {
      definitions: { resources: { type: 'object' } },
      properties: {
        gate: { properties: { replicas: { type: 'integer' }, drainSeconds: { type: 'integer' } } },
      },
    };
    const documented = [{ name: 'gate.replicas', description: 'Gate pods.' }];
    expect(() => describeSchema(schema, documented)).toThrow(
      /^values\.schema\.json and the @param comments of values\.yaml disagree:\n {2}gate\.drainSeconds is a property of the schema but has no @param in values\.yaml$/,
    );
  });

  it('let a @skip key go without a @param, and with it everything under it', () => {
    const schema: SchemaNode = {
      properties: { extra: { properties: { deep: { type: 'string' } } }, kept: { type: 'string' } },
    };
    const described = describeSchema(schema, [{ name: 'kept', description: 'Kept.' }], ['extra']);
    expect(described.properties!.kept!.description).toBe('Kept.');
    expect(described.properties!.extra).toEqual({ properties: { deep: { type: 'string' } } });
  });
});

describe('the generator refuses, writing nothing', () => {
  async function refusal(edit: (copy: ChartDocFiles) => void) {
    const copy = copyOfChart();
    edit(copy);
    const before = { readme: read(copy.readme), schema: read(copy.schema) };
    const error = await generateChartDocs(copy).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChartDocsError);
    expect({ readme: read(copy.readme), schema: read(copy.schema) }).toEqual(before);
    return (error as Error).message;
  }
  const editValues = (copy: ChartDocFiles, change: (text: string) => string) =>
    writeFileSync(copy.values, change(read(copy.values)));

  it('a new top-level value without a @param, naming the key', async () => {
    const message = await refusal((copy) =>
      editValues(copy, (text) => `${text}\nundocumentedKnob: 3\n`),
    );
    expect(message).toContain('Missing metadata for key: undocumentedKnob');
    expect(message).toContain('values.yaml: the @param comments do not match the values');
    expect(message).toContain('## @param <key> <description>');
  });

  it('a new nested value without a @param', async () => {
    const message = await refusal((copy) =>
      editValues(copy, (text) => text.replace(/^gate:\n/m, 'gate:\n  surgeKnob: true\n')),
    );
    expect(message).toContain('Missing metadata for key: gate.surgeKnob');
  });

  it('a @param for a value that is not there', async () => {
    const message = await refusal((copy) =>
      editValues(copy, (text) => `${text}\n## @param loadTest.gone The old knob.\n`),
    );
    expect(message).toContain('Metadata provided for non existing key: loadTest.gone');
  });

  it('a @param without a description', async () => {
    const message = await refusal((copy) =>
      editValues(copy, (text) =>
        text.replace(/## @param gate\.replicas .*$/m, '## @param gate.replicas'),
      ),
    );
    expect(message).toContain('these @param comments have no description: gate.replicas');
  });

  it('a documented value the schema lacks', async () => {
    const message = await refusal((copy) =>
      editValues(copy, (text) => `${text}\n## @param surgeKnob A new knob.\nsurgeKnob: 3\n`),
    );
    expect(message).toContain(
      'surgeKnob has a @param in values.yaml but no property in the schema',
    );
  });

  it('a schema property values.yaml does not document', async () => {
    const message = await refusal((copy) => {
      const schema = JSON.parse(read(copy.schema)) as SchemaNode;
      schema.properties!.gate!.properties!.surgeKnob = { type: 'integer' };
      writeFileSync(copy.schema, JSON.stringify(schema));
    });
    expect(message).toContain(
      'gate.surgeKnob is a property of the schema but has no @param in values.yaml',
    );
  });

  it('a README whose hand-written text the generator would delete', async () => {
    const message = await refusal((copy) =>
      writeFileSync(
        copy.readme,
        read(copy.readme).replace('## Parameters\n', '## Parameters\n\nSome words on top.\n'),
      ),
    );
    expect(message).toContain('would replace the text between "## Parameters" and its first table');
  });
});

describe('the Parameters section of a README', () => {
  const table = '| Name | Description | Value |\n| --- | --- | --- |\n| `a` | A. | `1` |';

  it('may hold prose below the tables, and anything before the first run', () => {
    expect(() =>
      checkParametersSection(
        'R.md',
        `# T\n\n## Parameters\n\n### S\n\n${table}\n\nProse.\n\n## Next\n`,
      ),
    ).not.toThrow();
    expect(() => checkParametersSection('R.md', '# T\n\n## Parameters\n\nProse.\n')).not.toThrow();
  });

  it('may not hold a "#" or "|" in the prose below the tables: the generator would eat the tables', () => {
    expect(() =>
      checkParametersSection(
        'R.md',
        `## Parameters\n\n### S\n\n${table}\n\nSee [Monitoring](#monitoring).\n`,
      ),
    ).toThrow(/would take "See \[Monitoring\]\(#monitoring\)\." below the "## Parameters" tables/);
  });

  it('needs exactly one Parameters heading', () => {
    expect(() => checkParametersSection('R.md', '# T\n\n## Values\n')).toThrow(
      'R.md: needs exactly one "## Parameters" heading for the generated tables (found 0)',
    );
  });
});
