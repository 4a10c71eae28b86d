// Regenerates the chart's Parameters tables (README.md) and the descriptions of
// values.schema.json from the `## @param` comments of values.yaml (a test fails when
// they are stale). `npm run gen:chart-docs`.
import path from 'node:path';
import { ChartDocsError, chartDocFiles, generateChartDocs } from './chart-docs/index.js';
import { repoRoot } from './testing/env.js';

const files = chartDocFiles(path.join(repoRoot, 'charts', 'rediclaim'));
try {
  await generateChartDocs(files);
  for (const file of [files.readme, files.schema]) {
    console.log(`wrote ${path.relative(repoRoot, file)}`);
  }
} catch (error) {
  if (!(error instanceof ChartDocsError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
