import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { kafkaSecurity, type CouponEvent } from '@rediclaim/core';
import type { Logger } from 'pino';
import { GateClient } from './gate-client.js';
import type { Metrics } from './metrics.js';
import { CouponEventWriter } from './reconcilers/couponevent/couponevent-api.js';
import { KafkaTopics } from './reconcilers/kafka/topics.js';
import { EventsConfigShards } from './reconcilers/platform/config-shards.js';
import { IssuerScaler } from './reconcilers/platform/issuer-scale.js';
import type { OperatorClients } from './reconcilers/reconcile-context.js';
import { EventRecorder } from './runtime/event-recorder.js';
import type { Informer } from './runtime/informer.js';
import type { Settings } from './settings.js';

/** `reportingController` of the operator's Kubernetes Events. */
export const CONTROLLER_NAME = 'rediclaim.io/operator';
const FIELD_MANAGER = 'rediclaim-operator';

export interface ClientsOptions {
  settings: Settings;
  /** Tuned (see runtime/kube/connections.ts): every client made from it shares its pool. */
  kubeConfig: k8s.KubeConfig;
  logger: Logger;
  cache: Informer<CouponEvent>;
  metrics: Metrics;
}

/** What the reconcilers talk to, made once from the settings. */
export function createClients(options: ClientsOptions): OperatorClients {
  const { settings, kubeConfig: kc, logger, cache, metrics } = options;
  return {
    settings,
    logger,
    cache,
    metrics,
    writer: new CouponEventWriter(kc.makeApiClient(k8s.CustomObjectsApi), FIELD_MANAGER),
    configShards: new EventsConfigShards(
      kc.makeApiClient(k8s.CoreV1Api),
      settings.PLATFORM_NAMESPACE,
      settings.EVENTS_CONFIGMAP_NAME,
      settings.EVENTS_CONFIG_SHARDS,
    ),
    scaler: new IssuerScaler(
      kc.makeApiClient(k8s.AppsV1Api),
      settings.PLATFORM_NAMESPACE,
      settings.ISSUER_DEPLOYMENT_NAME,
    ),
    gate: new GateClient(
      settings.GATE_ADMIN_URL,
      settings.GATE_TIMEOUT_SECONDS * 1000,
      settings.GATE_ADMIN_TOKEN,
    ),
    recorder: new EventRecorder(kc.makeApiClient(k8s.EventsV1Api), {
      controller: CONTROLLER_NAME,
      instance: settings.POD_NAME,
      logger,
    }),
  };
}

/** The Kafka admin client, unless KAFKA_BROKERS leaves the topics to someone else. */
export function createKafkaTopics(settings: Settings, logger: Logger): KafkaTopics | undefined {
  if (!settings.KAFKA_BROKERS) {
    logger.warn('KAFKA_BROKERS is not set: Kafka partitions are not managed');
    return undefined;
  }
  return new KafkaTopics({
    brokers: settings.KAFKA_BROKERS,
    clientId: settings.KAFKA_CLIENT_ID,
    topics: [settings.TOPIC_ISSUE_REQUESTS, settings.TOPIC_ISSUE_RESULTS],
    minPartitions: settings.ISSUER_MAX_REPLICAS,
    layout: settings,
    logger,
    security: kafkaSecurity(settings, (file) => readFileSync(file, 'utf8')),
  });
}
