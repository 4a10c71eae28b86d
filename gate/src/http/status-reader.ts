import type { FastifyRequest } from 'fastify';
import { ErrorCode, RediclaimError } from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import type { PresentedTicket, TicketSigner } from '../queue/tickets.js';
import type { StatusView } from '../queue/views.js';
import type { WaitingRoom } from '../queue/waiting-room.js';
import type { Identity } from './identity.js';

/** What GET /v1/events/:id/queue/me answers: the view, and the ticket while it is good. */
export type StatusBody = StatusView & { ticket?: string };

/** Who asks, and the ticket they identified by (verified), if they did. */
export interface Shopper {
  userId: string;
  ticket?: PresentedTicket;
}

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
  ): Promise<Shopper> {
    if (query.ticket !== undefined) {
      // A deleted event's tickets still verify (against its former tenant): their
      // holders get the same answer as by identity, their coupon or EVENT_CLOSED.
      const tenant = await this.room.tenantOf(eventId);
      if (!tenant) throw await this.room.refuseUnknown(eventId);
      const ticket = this.tickets.present(query.ticket, tenant, eventId);
      const { userId } = ticket.held;
      if (query.userId !== undefined && query.userId !== userId)
        throw new RediclaimError(
          ErrorCode.ValidationFailed,
          'querystring.userId: does not match the ticket',
        );
      return { userId, ticket };
    }
    if (this.identity.queryRequired && query.userId === undefined)
      throw new RediclaimError(
        ErrorCode.ValidationFailed,
        'querystring.userId: is required (or pass the signed ticket as ?ticket=)',
      );
    return { userId: await this.identity.resolve(request, query.userId) };
  }

  /** The shopper's status as v1 tells it, with their ticket (the one presented while good). */
  async body(eventId: string, shopper: Shopper): Promise<StatusBody> {
    const view = await this.room.status(eventId, shopper.userId);
    const ticket = this.signed(this.room.event(eventId), shopper.userId, view, shopper.ticket);
    return ticket ? { ...this.v1View(view), ticket } : this.v1View(view);
  }

  /** The ticket for a view that has a place; the one presented is handed back while it is good. */
  signed(
    event: LiveEvent | undefined,
    userId: string,
    view: StatusView,
    presented?: PresentedTicket,
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
