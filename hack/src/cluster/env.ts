import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../testing/env.js';

/** Where hack/cluster keeps the real cluster's credentials and the chart values for it. */
export interface ClusterEnv {
  stateDir: string;
  /** Admin credentials (system:masters). */
  kubeconfig: string;
  helm: string;
  /** Values files for `helm install`: hack/kubernetes/values.yaml and the images just built. */
  values: string[];
  nodeName: string;
  nodeIp: string;
  /** crictl and the node's CRI socket: what a node's own admin uses to reach containers. */
  crictl: string;
  runtimeEndpoint: string;
}

export const clusterStateDir = path.join(repoRoot, '.rediclaim', 'cluster');

/** The cluster `hack/cluster up` started (its env.json). */
export function clusterEnv(): ClusterEnv {
  const file = path.join(clusterStateDir, 'env.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterEnv;
  } catch (error) {
    throw new Error(`The cluster is not set up (${file} is missing). Run "hack/cluster up".`, {
      cause: error,
    });
  }
}
