// The readme generator replaces everything from the "## Parameters" heading down to the last
// line of that section holding a `|` or a `#` (its idea of the last table row), and keeps
// what follows. Hand-written prose survives only below the tables and only without those
// characters: refuse a README where the generator would silently delete some.
import { ChartDocsError } from './errors.js';

const heading = '## Parameters';

export function checkParametersSection(readmePath: string, text: string): void {
  const lines = text.split(/\r?\n/);
  const starts = lines.flatMap((line, i) =>
    line === heading || line.startsWith(`${heading} `) ? [i] : [],
  );
  if (starts.length !== 1) {
    throw new ChartDocsError(
      `${readmePath}: needs exactly one "${heading}" heading for the generated tables (found ${starts.length})`,
    );
  }
  const start = starts[0]! + 1;
  const next = lines.findIndex((line, i) => i >= start && /^##\s/.test(line));
  const section = lines.slice(start, next === -1 ? lines.length : next);
  const hasTables = section.some((line) => line.startsWith('|'));
  const firstGenerated = section.findIndex(
    (line) => line.startsWith('###') || line.startsWith('|'),
  );
  const above = section.slice(0, firstGenerated).filter((line) => line.trim() !== '');
  // Before the first run there are no tables: the generator puts them above the text.
  if (hasTables && above.length > 0) {
    throw new ChartDocsError(
      `${readmePath}: the generator would replace the text between "${heading}" and its first ` +
        `table ("${above[0]}"): move it below the tables, or into a @descriptionStart of values.yaml`,
    );
  }
  const lastTableLike = section.findLast((line) => /[|#]/.test(line));
  if (lastTableLike !== undefined && !lastTableLike.startsWith('|')) {
    throw new ChartDocsError(
      `${readmePath}: the generator would take "${lastTableLike}" below the "${heading}" tables ` +
        `for a table row and delete everything above it: keep "|" and "#" out of the text there`,
    );
  }
}
