import * as yaml from 'js-yaml';
import { z } from 'zod';
import { CouponEventApi } from './resource.js';
import { couponEventSpecSchema } from './spec.js';
import { couponEventStatusSchema } from './status.js';
import { TIME_MAX_LENGTH } from './time.js';

type JsonSchema = Record<string, unknown>;

/**
 * zod's OpenAPI 3.0 output is close to a Kubernetes structural schema; this removes
 * what the API server rejects or does not need: `$schema`, zod's own date-time regex
 * (the server checks `format: date-time` of the status, which only the operator writes;
 * the spec's times are checked by their own CEL rule, see time.ts), and the ±2^53 bounds
 * of every integer.
 */
function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node as JsonSchema)) {
    if (key === '$schema') continue;
    if (key === 'id' && typeof value === 'string') continue;
    out[key] =
      key === 'default' || key === 'enum' || key === 'x-kubernetes-validations'
        ? value
        : toStructural(value);
  }
  if (out.format === 'date-time') {
    delete out.pattern;
    out.maxLength = TIME_MAX_LENGTH;
  }
  if (out.type === 'integer') {
    if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
    if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
    out.format ??= 'int64';
  }
  return out;
}

function openApi(schema: z.ZodType): JsonSchema {
  return toStructural(
    z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'throw' }),
  ) as JsonSchema;
}

/**
 * The CouponEvent CustomResourceDefinition, generated from the zod schemas. The
 * committed YAML under crds/ is this object; a test fails when they differ.
 */
export function couponEventCrd(): JsonSchema {
  const api = CouponEventApi;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: api.crdName,
      labels: { 'app.kubernetes.io/name': 'rediclaim', 'app.kubernetes.io/component': 'crd' },
    },
    spec: {
      group: api.group,
      scope: 'Namespaced',
      names: {
        kind: api.kind,
        listKind: api.listKind,
        plural: api.plural,
        singular: api.singular,
        shortNames: [...api.shortNames],
        categories: [...api.categories],
      },
      versions: [
        {
          name: api.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            {
              name: 'Event',
              type: 'string',
              jsonPath: '.status.eventId',
              description: 'Public event id',
            },
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'Stock', type: 'integer', jsonPath: '.spec.coupon.stock' },
            { name: 'Issued', type: 'integer', jsonPath: '.status.counts.issued' },
            { name: 'Waiting', type: 'integer', jsonPath: '.status.counts.waiting' },
            {
              name: 'Redeemed',
              type: 'integer',
              jsonPath: '.status.counts.redeemed',
              description: 'Coupons currently redeemed at the shop',
              priority: 1,
            },
            {
              name: 'Reason',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
              description: 'The reason of the Ready condition: why the event is or is not Ready',
            },
            {
              name: 'Rate',
              type: 'integer',
              jsonPath: '.spec.admission.dispatchPerSecond',
              priority: 1,
            },
            {
              name: 'Allowed',
              type: 'integer',
              jsonPath: '.status.admission.allowedPerSecond',
              description:
                'Admissions per second the gates allow now (below Rate while issuance falls behind)',
              priority: 1,
            },
            { name: 'Opens', type: 'date', jsonPath: '.spec.schedule.opensAt', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                'A first-come-first-served coupon sale: shoppers queue at the gate, are admitted at dispatchPerSecond, and receive at most perUserLimit coupons each until stock runs out.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: openApi(couponEventSpecSchema),
                status: openApi(couponEventStatusSchema),
              },
              'x-kubernetes-validations': [
                {
                  rule: 'has(self.spec.eventId) || self.metadata.name.matches("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")',
                  message:
                    'metadata.name is longer than 63 characters, too long for an event id: set spec.eventId',
                },
              ],
            },
          },
        },
      ],
    },
  };
}

/** The committed YAML of the CRD: a header saying where it comes from, then the object. */
export function renderCouponEventCrdYaml(): string {
  return (
    '# Generated from core/src/couponevent/*.ts by `npm run gen:crds`. Do not edit by hand:\n' +
    '# a test fails when this file differs from what the schemas generate.\n' +
    yaml.dump(couponEventCrd(), { noRefs: true, lineWidth: -1, sortKeys: false })
  );
}
