import * as yaml from 'js-yaml';
import { z } from 'zod';
import { ErrorCode, RediclaimError } from '../errors.js';
import { check, describeProblems, parseOrThrow } from '../validation.js';
import { CouponEventApi, type CouponEvent } from '../couponevent/resource.js';
import {
  couponEventSpecSchema,
  eventBodyRules,
  eventBodyShape,
  eventIdSchema,
} from '../couponevent/spec.js';
import { withRules } from '../couponevent/rules.js';

/** A Kubernetes namespace name: the tenant that owns an event. */
export const tenantSchema = z
  .string()
  .max(63)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be a Kubernetes namespace name (lower-case letters, digits, "-")',
  );

/**
 * One event as the gate and issuer see it: the CouponEvent spec with every default
 * applied, plus where it came from. A hand-written config file for a standalone run
 * is the same shape, with `tenant` and `generation` defaulted.
 */
export const eventConfigSchema = withRules(
  z.object({
    id: eventIdSchema,
    tenant: tenantSchema.default('default'),
    name: z.string().min(1).max(253).optional(),
    uid: z.string().max(64).optional(),
    generation: z.int().min(0).default(1),
    ...eventBodyShape,
  }),
  eventBodyRules,
);
export type EventConfig = z.output<typeof eventConfigSchema>;
export type EventConfigInput = z.input<typeof eventConfigSchema>;

export const EVENTS_CONFIG_KIND = 'EventsConfig';
/** The ConfigMap key the operator writes and the gate reads. */
export const EVENTS_CONFIG_KEY = 'events.yaml';

/** Events one config document may hold. */
export const MAX_EVENTS_PER_CONFIG = 10_000;

export const eventsConfigSchema = z
  .object({
    apiVersion: z.literal(CouponEventApi.apiVersion).default(CouponEventApi.apiVersion),
    kind: z.literal(EVENTS_CONFIG_KIND).default(EVENTS_CONFIG_KIND),
    events: z.array(eventConfigSchema).max(MAX_EVENTS_PER_CONFIG).default([]),
  })
  .superRefine((config, ctx) => {
    // Shoppers address events by id alone, so an id may belong to one tenant only.
    const seen = new Map<string, number>();
    config.events.forEach((event, index) => {
      const first = seen.get(event.id);
      if (first === undefined) seen.set(event.id, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['events', index, 'id'],
          message: `"${event.id}" is already used by events[${first}]`,
        });
    });
  });
export type EventsConfig = z.output<typeof eventsConfigSchema>;

/** Parses the YAML (or JSON) of an events config, naming every problem and where it came from. */
export function parseEventsConfig(text: string, source: string): EventsConfig {
  // An empty file (or only comments) means "no events"; js-yaml 5 refuses empty input.
  if (!/^\s*[^#\s]/m.test(text)) return eventsConfigSchema.parse({});
  let document: unknown;
  try {
    document = yaml.load(text);
  } catch (error) {
    throw new RediclaimError(
      ErrorCode.InvalidConfig,
      `${source} is not valid YAML: ${(error as Error).message}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  const result = check(eventsConfigSchema, document ?? {});
  if (!result.ok) {
    throw new RediclaimError(
      ErrorCode.InvalidConfig,
      `${source} is invalid: ${describeProblems(result.problems)}`,
      {
        problems: result.problems,
      },
    );
  }
  return result.value;
}

const dumpOptions = { noRefs: true, lineWidth: -1, sortKeys: false };
const header = yaml.dump(
  { apiVersion: CouponEventApi.apiVersion, kind: EVENTS_CONFIG_KIND },
  dumpOptions,
);

/**
 * One event's item of the `events:` list, exactly as renderEventsConfig writes it. The
 * operator renders each event once and assembles shards from the pieces: dumping
 * thousands of events on every edit would cost more than the edit.
 */
export function renderEventEntry(event: EventConfig): string {
  return yaml.dump([event], dumpOptions).replace(/^(?=.)/gm, '  ');
}

/** renderEventsConfig's document from rendered entries (renderEventEntry), sorted by id. */
export function assembleEventsConfig(entries: readonly { id: string; entry: string }[]): string {
  if (entries.length === 0) return `${header}events: []\n`;
  const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return `${header}events:\n${sorted.map((e) => e.entry).join('')}`;
}

/** The YAML the operator writes into the gate ConfigMap: stable order, so unchanged input means no write. */
export function renderEventsConfig(events: readonly EventConfig[]): string {
  return assembleEventsConfig(
    events.map((event) => ({ id: event.id, entry: renderEventEntry(event) })),
  );
}

/** The public id of a CouponEvent: spec.eventId, or its name. */
export function eventIdOf(event: Pick<CouponEvent, 'metadata' | 'spec'>): string {
  return event.spec.eventId ?? event.metadata.name ?? '';
}

/**
 * The rendered config of one CouponEvent, defaults applied. Throws VALIDATION_FAILED
 * naming each problem under `spec.` when the stored object is invalid (the CRD
 * schema should have refused it, but the operator never trusts that).
 */
export function eventConfigFromCouponEvent(event: CouponEvent): EventConfig {
  const spec = parseOrThrow(
    couponEventSpecSchema,
    event.spec,
    `CouponEvent ${event.metadata.namespace}/${event.metadata.name}`,
    ['spec'],
  );
  const { eventId: _eventId, ...body } = spec;
  return parseOrThrow(
    eventConfigSchema,
    {
      id: eventIdOf(event),
      tenant: event.metadata.namespace,
      name: event.metadata.name,
      uid: event.metadata.uid,
      generation: event.metadata.generation ?? 0,
      ...body,
    },
    `CouponEvent ${event.metadata.namespace}/${event.metadata.name}`,
  );
}
