// @rediclaim/gate: the waiting room. Exports for tests and tooling (the benchmark).
export * from './app.js';
export * from './gate.js';
export * from './settings.js';
export * from './metrics.js';
export * from './config/live-event.js';
export * from './config/events-store.js';
export * from './config/file-source.js';
export * from './config/configmap-source.js';
export * from './dispatch/dispatcher.js';
export * from './dispatch/results-consumer.js';
export * from './dispatch/kafka.js';
export * from './http/identity.js';
export * from './http/errors.js';
export * from './queue/waiting-room.js';
export * from './queue/tickets.js';
export * from './queue/views.js';
export * from './redis/scripts.js';
