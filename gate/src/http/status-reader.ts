import type { FastifyRequest } from 'fastify';
import { ErrorCode, RediclaimError } from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import type { TicketSigner } from '../queue/tickets.js';
import type { StatusView } from '../queue/views.js';
import type { WaitingRoom } from '../queue/waiting-room.js';
import type { Identity } from './identity.js';

/** What GET /v1/events/:id/queue/me answers: the view, and the ticket while it is good. */
export type StatusBody = StatusView & { ticket?: string };

/**
 * The v1 status of one shopper, for the routes that tell it: the poll (GET .../queue/me)
 * and the push stream (GET .../queue/me/stream), which must say exactly the same.
 */
export class StatusReader {
  constructor(
    private readonly room: WaitingRoom,
    private readonly identity: Identity,
    private readonly tickets: TicketSigner,
  ) {}

  /**
   * Who asks: the signed ticket (?ticket=, to resume after a reload, and the only way a
   * browser's EventSource can identify without headers), or the configured identity.
   */
  async shopperOf(
    request: FastifyRequest,
    eventId: string,
    query: { userId?: string; ticket?: string },
  ): Promise<string> {
    if (query.ticket !== undefined) {
      // A deleted event's tickets still verify (against its former tenant): their
      // holders get the same answer as by identity, their coupon or EVENT_CLOSED.
      const tenant = await this.room.tenantOf(eventId);
      if (!tenant) throw await this.room.refuseUnknown(eventId);
      const { userId } = this.tickets.verify(query.ticket, tenant, eventId);
      if (query.userId !== undefined && query.userId !== userId)
        throw new RediclaimError(
          ErrorCode.ValidationFailed,
          'querystring.userId: does not match the ticket',
        );
      return userId;
    }
    if (this.identity.queryRequired && query.userId === undefined)
      throw new RediclaimError(
        ErrorCode.ValidationFailed,
        'querystring.userId: is required (or pass the signed ticket as ?ticket=)',
      );
    return this.identity.resolve(request, query.userId);
  }

  /** The shopper's status as v1 tells it, with their ticket (the one presented while good). */
  async body(eventId: string, userId: string, presented?: string): Promise<StatusBody> {
    const view = await this.room.status(eventId, userId);
    const ticket = this.signed(this.room.event(eventId), userId, view, presented);
    return ticket ? { ...this.v1View(view), ticket } : this.v1View(view);
  }

  /** The ticket for a view that has a place; the one presented is handed back while it is good. */
  signed(
    event: LiveEvent | undefined,
    userId: string,
    view: StatusView,
    presented?: string,
  ): string | undefined {
    return event && view.ticketNumber !== undefined
      ? this.tickets.reissue(presented, {
          tenant: event.tenant,
          eventId: event.id,
          userId,
          ticket: view.ticketNumber,
        })
      : undefined;
  }

  /** In the pre-queue the order is drawn at opening: v1 shows no rank until then. */
  v1View(view: StatusView): StatusView {
    return view.preQueue ? { ...view, rank: null, ahead: null, etaSeconds: null } : view;
  }
}
