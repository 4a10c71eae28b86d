// The real Kubernetes cluster of hack/cluster, for tests, the cluster demo and benchmarks.
export { clusterEnv, clusterStateDir, type ClusterEnv } from './env.js';
export { clusterDown, clusterUp, runClusterScript } from './lifecycle.js';
export { chartDir, Release, type InstallOptions, type Values } from './release.js';
export { crashContainer } from './node.js';
export { runClusterSale, type ClusterSale, type ClusterSaleOptions } from './sale.js';
