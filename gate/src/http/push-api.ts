import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync, FastifyRequest, onRequestHookHandler } from 'fastify';
import { ErrorCode, RediclaimError, eventKeys } from '@rediclaim/core';
import type { WaitingRoom } from '../queue/waiting-room.js';
import { PushFullError, type PushHub, type PushSink } from '../push/push-hub.js';
import type { ClientStreamSlots } from '../push/client-stream-slots.js';
import type { GateMetrics } from '../metrics.js';
import { clientKeyOf } from './client-key.js';
import { errorResponses, eventParams, identityQuery } from './schemas.js';
import type { StatusReader } from './status-reader.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A long-lived response (a push stream): not a request latency to observe. */
    stream?: boolean;
  }
}

/** What the gate gives the push route when it streams (GATE_PUSH_ENABLED). */
export interface PushDeps {
  hub: PushHub;
  /** The gate's clock for schedule phases (tests move it). */
  clock: () => number;
  /** The per-client bound on open streams (GATE_PUSH_MAX_STREAMS_PER_CLIENT); absent: none. */
  slots?: ClientStreamSlots;
}

export interface PushApiOptions extends PushDeps {
  room: WaitingRoom;
  reader: StatusReader;
  metrics: GateMetrics;
  /** What the OpenAPI document says identifies the shopper (the poll's schemes). */
  security: Record<string, string[]>[];
  /** The status reads' per-client limit: a reconnect storm counts like polls. */
  onRequest?: onRequestHookHandler;
}

/** Retry-After of a refused stream: poll meanwhile, try streaming again after this. */
const STREAM_FULL_RETRY_SECONDS = 30;
/** The poll's answer schema (one object: fastify caches the serializer it compiles for it). */
const STATUS_SCHEMA = { $ref: 'rediclaim.gate.Status#' };
/** Longest Last-Event-ID taken into account (ours are short). */
const MAX_EVENT_ID = 64;

interface StreamQuery {
  userId?: string;
  ticket?: string;
}

function sinkOf(raw: ServerResponse): PushSink {
  return {
    write: (chunk) => void raw.write(chunk),
    get pending() {
      return raw.writableLength;
    },
    end: () => raw.end(),
    onClose: (listener) => raw.once('close', listener),
  };
}

function lastEventIdOf(request: FastifyRequest): string | undefined {
  const id = request.headers['last-event-id'];
  return typeof id === 'string' && id.length <= MAX_EVENT_ID ? id : undefined;
}

/**
 * GET /v1/events/:eventId/queue/me/stream: the shopper's status pushed as server-sent
 * events (PushHub), the same body the poll answers. Refusals are ordinary JSON answers
 * before the stream starts; past GATE_PUSH_MAX_STREAMS, 503 OVERLOADED with
 * Retry-After, and past the client's own bound (GATE_PUSH_MAX_STREAMS_PER_CLIENT), 429
 * RATE_LIMITED: either way the shopper polls.
 */
export const pushApi: FastifyPluginAsync<PushApiOptions> = async (app, options) => {
  const { hub, room, reader, clock, slots, metrics } = options;
  if (slots) metrics.limitRoute('stream');
  app.get<{ Params: { eventId: string }; Querystring: StreamQuery }>(
    '/v1/events/:eventId/queue/me/stream',
    {
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      // Kept out of the request latency histogram (app.ts observeLatency).
      config: { stream: true },
      schema: {
        tags: ['v1'],
        summary: "The shopper's status, pushed (server-sent events)",
        security: options.security,
        description: [
          'Identify as for GET /v1/events/{eventId}/queue/me; a browser passes its signed ticket (?ticket=), since EventSource sends no headers of its own.',
          'The stream starts with `retry: <ms>`, then one `status` event whose data is what GET .../queue/me answers now, and another at every change: admitted (PROCESSING), the outcome, sold out, the event opening or closing, and, while waiting, the place at milestones. The id of each event is the state (e.g. `WAITING.42`); reconnecting with Last-Event-ID skips a state already told.',
          'After a final status (anything but WAITING or PROCESSING) comes `event: end` and the stream closes: close the EventSource then, or it reconnects. Comment lines keep the connection alive. A gate shutting down closes streams without `end`: reconnect (EventSource does) to another replica.',
          'Refusals are JSON answers before the stream starts, as for the poll; 503 OVERLOADED with Retry-After when this gate holds its most streams, 429 RATE_LIMITED with Retry-After when your address holds its most streams across the gates: poll GET .../queue/me meanwhile.',
        ].join('\n\n'),
        params: eventParams,
        querystring: identityQuery(false, {
          ticket: { type: 'string', minLength: 10, maxLength: 1024 },
        }),
        response: {
          200: {
            description: 'A stream of server-sent events (text/event-stream), as described above.',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { eventId } = request.params;
      const shopper = await reader.shopperOf(request, eventId, request.query);
      const { userId } = shopper;
      const tenant = await room.tenantOf(eventId);
      if (!tenant) throw await room.refuseUnknown(eventId);
      const serialize = reply.compileSerializationSchema(STATUS_SCHEMA) as (b: unknown) => string;
      const slot = slots ? await slots.claim(clientKeyOf(request)) : undefined;
      if (slots && !slot) {
        metrics.countRateLimited('stream');
        reply.header('retry-after', String(STREAM_FULL_RETRY_SECONDS));
        throw new RediclaimError(
          ErrorCode.RateLimited,
          'your address holds its most push streams; poll instead',
        );
      }
      let opened;
      try {
        opened = await hub.open({
          channel: eventKeys(tenant, eventId).changes,
          userId,
          // The ticket was verified at opening: each read hands it back without another MAC.
          read: () => reader.body(eventId, shopper),
          phase: () => room.event(eventId)?.phase(clock()),
          serialize,
        });
      } catch (error) {
        slot?.release();
        if (!(error instanceof PushFullError)) throw error;
        reply.header('retry-after', String(STREAM_FULL_RETRY_SECONDS));
        throw new RediclaimError(ErrorCode.Overloaded, error.message);
      }
      // From here the response is the hub's: fastify neither serializes nor ends it.
      reply.hijack();
      const raw = reply.raw;
      if (slot) raw.once('close', () => slot.release());
      // What the hooks set (request id, CORS) goes out too.
      for (const [name, value] of Object.entries(reply.getHeaders()))
        if (value !== undefined) raw.setHeader(name, value);
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        // nginx and others buffer responses unless told not to.
        'x-accel-buffering': 'no',
      });
      raw.socket?.setNoDelay(true);
      opened.start(sinkOf(raw), lastEventIdOf(request));
    },
  );
};
