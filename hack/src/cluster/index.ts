// The real Kubernetes cluster of hack/cluster, for tests, the cluster demo and benchmarks.
export * from './env.js';
export * from './lifecycle.js';
export * from './release.js';
export * from './node.js';
export * from './sale.js';
