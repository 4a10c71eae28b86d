// Preloaded into a service by the log-story e2e test (NODE_OPTIONS=--import=<this file>):
// the process warnings a service meets in real life, one before its main module runs
// and three while it runs, so the test can check each one became a JSON log record.
import { EventEmitter } from 'node:events';
import { setTimeout } from 'node:timers';

process.emitWarning('e2e: emitted before the main module ran', 'DeprecationWarning', 'DEP_E2E');
setTimeout(() => {
  // What kafkajs' producer does past ten in-flight sends, on an emitter of our own.
  const emitter = new EventEmitter();
  for (let i = 0; i < 11; i++) emitter.on('e2e', () => undefined);
  // What kafkajs' retrier does with a negative delay.
  setTimeout(() => undefined, -1).unref();
  process.emitWarning('e2e: emitted while the service runs', { code: 'E2E_RUNNING' });
}, 1_500).unref();
