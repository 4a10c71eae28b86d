// Starts the test stack (real Redis, MariaDB, Kafka, kube-apiserver) before any test
// runs. `hack/stack up` is idempotent, so when `npm test` already started it this
// takes milliseconds. RC_TEST_NO_STACK=1 skips it for runs of unit tests only.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export default function globalSetup() {
  process.env.RC_STACK ??= 'test';
  if (process.env.RC_TEST_NO_STACK === '1') return;
  execFileSync(path.join(root, 'hack/stack'), ['up'], { stdio: 'inherit', env: process.env });
}
