import * as k8s from '@kubernetes/client-node';
import { describeKubeError, isNotFound } from '../../runtime/kube/errors.js';

/** What the platform last found about the issuer: every served event's IssuerScaled condition. */
export interface IssuerCondition {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface ScaleOutcome {
  condition: IssuerCondition;
  /** Set when this call changed the replicas. */
  scaledFrom?: number;
}

/**
 * The issuer Deployment's replicas, through the scale subresource only: the operator
 * needs no right to read or change the Deployment itself, and whoever owns the
 * Deployment (Helm) keeps owning everything else in it.
 */
export class IssuerScaler {
  constructor(
    private readonly api: k8s.AppsV1Api,
    readonly namespace: string,
    readonly name: string,
  ) {}

  get ref(): string {
    return `${this.namespace}/${this.name}`;
  }

  async ensure(desired: number): Promise<ScaleOutcome> {
    const target = { namespace: this.namespace, name: this.name };
    let current: number;
    try {
      const scale = await this.api.readNamespacedDeploymentScale(target);
      current = scale.spec?.replicas ?? 0;
    } catch (error) {
      if (isNotFound(error))
        return {
          condition: {
            status: 'False',
            reason: 'IssuerDeploymentNotFound',
            message: `Deployment ${this.ref} does not exist, so nothing issues coupons; install the chart or set ISSUER_DEPLOYMENT_NAME.`,
          },
        };
      return this.failed(error);
    }
    if (current !== desired) {
      try {
        await this.api.patchNamespacedDeploymentScale(
          { ...target, body: { spec: { replicas: desired } } },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
      } catch (error) {
        return this.failed(error);
      }
    }
    return {
      condition: {
        status: 'True',
        reason: 'Scaled',
        message: `Deployment ${this.ref} is scaled for the open events.`,
      },
      ...(current !== desired ? { scaledFrom: current } : {}),
    };
  }

  private failed(error: unknown): ScaleOutcome {
    return {
      condition: {
        status: 'False',
        reason: 'ScaleFailed',
        message: `Could not scale Deployment ${this.ref}: ${describeKubeError(error)}`,
      },
    };
  }
}
