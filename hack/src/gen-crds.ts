// Writes the CouponEvent CRD generated from core's zod schemas to crds/ and to the
// chart's crds/ (Helm installs CRDs from there), so both always hold the same file.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { renderCouponEventCrdYaml, CouponEventApi } from '@rediclaim/core';
import { repoRoot } from './testing/env.js';

export const crdFiles = [
  path.join(repoRoot, 'crds', `${CouponEventApi.crdName}.yaml`),
  path.join(repoRoot, 'charts', 'rediclaim', 'crds', `${CouponEventApi.crdName}.yaml`),
];

const text = renderCouponEventCrdYaml();
for (const file of crdFiles) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${path.relative(repoRoot, file)}`);
}
