import type { Logger } from 'pino';
import type { GateMetrics, PushReadTrigger } from '../metrics.js';
import { isCluster, type RedisClient } from '../redis/client.js';
import { changeChannelsOf, type ChangeChannels } from './change-channels.js';
import { decodeChangeNotice } from './change-notice.js';
import { ReadQueue } from './read-queue.js';
import { SSE_HEARTBEAT, sseFrame, sseRetry } from './sse.js';
import {
  endsStream,
  isMilestone,
  movedOn,
  stateIdOf,
  type StreamedStatus,
} from './stream-state.js';

/** Where a stream's frames go: the HTTP response, seen through what the hub needs of it. */
export interface PushSink {
  /** Writes a chunk; returns once it is buffered (the socket may still hold it). */
  write(chunk: string): void;
  /** Bytes written that the peer has not taken yet. */
  readonly pending: number;
  end(): void;
  onClose(listener: () => void): void;
}

export interface PushStreamRequest {
  /** The event's change channel (EventKeys.changes). */
  channel: string;
  userId: string;
  /** Reads the shopper's status now: the body GET /v1/events/:id/queue/me answers. */
  read: () => Promise<StreamedStatus>;
  /** The event's schedule phase now (undefined once the config lost it): a change re-reads everyone. */
  phase: () => string | undefined;
  /** A status as a frame's data: the JSON the poll answers, through the same schema. */
  serialize: (body: StreamedStatus) => string;
}

export interface PushHubOptions {
  /** Streams this replica holds at most; past it, open() throws PushFullError. */
  maxStreams: number;
  /** A comment line after this much silence. */
  heartbeatMs: number;
  /** Every stream is read again after about this long, whatever the notices said. */
  resyncMs: number;
  /** The reconnect delay browsers are told (jittered up to +50 %). */
  retryMs: number;
  /** Status reads in flight at most (a sold-out re-reads every stream of the event). */
  readConcurrency: number;
  /** How often heartbeats, resyncs, phase changes and progress are looked at. */
  tickMs: number;
  /** A peer that leaves more than this unread is cut off: it reconnects, or polls. */
  maxPendingBytes: number;
}

export class PushFullError extends Error {
  constructor(readonly limit: number) {
    super(`this gate holds its most push streams (${limit}); poll instead`);
  }
}

interface Channel {
  name: string;
  streams: Map<string, Set<Stream>>;
  count: number;
  /** Places the line moved up since the subscription, from the admission notices. */
  moved: number;
  movedSeen: number;
  phase: string | undefined;
  phaseOf: () => string | undefined;
  subscribed: Promise<unknown>;
}

interface Stream {
  channel: Channel;
  userId: string;
  read: () => Promise<StreamedStatus>;
  serialize: (body: StreamedStatus) => string;
  sink: PushSink | undefined;
  /** The last status read, and the channel's `moved` when it was read. */
  body: StreamedStatus;
  movedAtRead: number;
  /** What the last frame said: its id, and the people ahead then. */
  lastId: string | undefined;
  sentAhead: number | null;
  lastFrameAt: number;
  lastWriteAt: number;
  nextResyncAt: number;
  /** The queue the stream waits in for a read, if any (it may be in both: see refresh). */
  queued: ReadPriority | undefined;
  reading: boolean;
  /** A change came during the read in flight: read again after it, for this trigger. */
  readAgain: PushReadTrigger | undefined;
  closed: boolean;
}

/**
 * Which reads go first: those a notice asked for (this shopper was admitted, decided, the
 * stock is gone: the state changed and the shopper waits for it), then the routine ones
 * (resyncs, a phase change, a subscriber reconnect), which only check nothing was missed.
 * In one queue, the resyncs of a gate's 10,000 streams, or everyone read at a phase
 * change, would stand in front of the outcomes the notices announce.
 */
type ReadPriority = 'changed' | 'routine';

/** A stream read once and registered, not yet writing: the route's answer may still be an error. */
export interface OpenedStream {
  /** The status read at opening (the route answers errors before any frame). */
  readonly first: StreamedStatus;
  /** Starts the stream on the response: retry hint, the current status unless the browser has it. */
  start(sink: PushSink, lastEventId?: string): void;
  /** Forgets the stream (the response failed before it started). */
  cancel(): void;
}

/**
 * The push streams of this replica. One Redis subscriber connection hears the change
 * notices of every event a stream is open for (ChangePublisher, on any replica); a
 * notice names whom to read again, and a read whose state differs from the last frame
 * becomes a frame. Notices can be lost (a reconnect, a replica that died before
 * publishing), so every stream is also read again every resyncMs, and all of them after
 * the subscriber reconnects or the event's phase changes. Between reads, a waiting
 * shopper's place follows the admission notices (everyone waiting moves up by the
 * number admitted), told at milestones, not at every step.
 *
 * Reads go through queues with a bounded concurrency, so a sold-out that concerns every
 * stream of an event reads them in turn instead of all at once; reads a notice asked for
 * go before the routine ones (ReadPriority).
 */
export class PushHub {
  private readonly channels = new Map<string, Channel>();
  private readonly changed = new ReadQueue<Stream>();
  private readonly routine = new ReadQueue<Stream>();
  private active = 0;
  private count = 0;
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  private connectedBefore = false;
  private lastInvalidLog = 0;
  private readonly clock: () => number;
  private readonly pubsub: ChangeChannels;

  constructor(
    private readonly deps: {
      /** A connection of its own: in subscriber mode it can do nothing else. */
      subscriber: RedisClient;
      logger: Logger;
      metrics: GateMetrics;
      clock?: () => number;
    },
    private readonly options: PushHubOptions,
  ) {
    this.clock = deps.clock ?? Date.now;
    this.pubsub = changeChannelsOf(deps.subscriber);
    deps.subscriber.on(this.pubsub.messageEvent, (channel: string, text: string) =>
      this.onNotice(channel, text),
    );
    // ioredis subscribes again by itself after a reconnect (or a Cluster's failover);
    // what was published meanwhile is lost, so everyone is read again.
    this.connectedBefore = !isCluster(deps.subscriber) && deps.subscriber.status === 'ready';
    deps.subscriber.on(this.pubsub.subscribedEvent, () => {
      if (this.connectedBefore) this.refreshAll('reconnect');
      this.connectedBefore = true;
    });
    deps.metrics.pushStreamsOf(() => this.count);
  }

  get size(): number {
    return this.count;
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.options.tickMs);
    this.timer.unref();
  }

  /**
   * Registers a stream and reads its status, once its channel is subscribed (so no
   * change between the read and the subscription goes unheard). Throws PushFullError
   * past maxStreams, or the read's error.
   */
  async open(request: PushStreamRequest): Promise<OpenedStream> {
    if (this.count >= this.options.maxStreams) {
      this.deps.metrics.pushRefused.inc({ reason: 'limit' });
      throw new PushFullError(this.options.maxStreams);
    }
    this.count++;
    let stream: Stream | undefined;
    try {
      const channel = this.channelFor(request);
      const now = this.clock();
      stream = {
        channel,
        userId: request.userId,
        read: request.read,
        serialize: request.serialize,
        sink: undefined,
        body: { status: '', rank: null, ahead: null, etaSeconds: null },
        movedAtRead: channel.moved,
        lastId: undefined,
        sentAhead: null,
        lastFrameAt: now,
        lastWriteAt: now,
        nextResyncAt: now + this.jittered(this.options.resyncMs),
        queued: undefined,
        reading: false,
        readAgain: undefined,
        closed: false,
      };
      this.register(stream);
      await channel.subscribed;
      const movedAtRead = channel.moved;
      stream.body = await request.read();
      stream.movedAtRead = movedAtRead;
      this.deps.metrics.pushReads.inc({ trigger: 'open' });
    } catch (error) {
      if (stream) this.remove(stream);
      else this.count--;
      throw error;
    }
    const opened = stream;
    return {
      first: opened.body,
      start: (sink, lastEventId) => this.startStream(opened, sink, lastEventId),
      cancel: () => this.remove(opened),
    };
  }

  /**
   * A rollout: every stream closes without `end`, so browsers reconnect (after the retry
   * delay, through the Service, to another replica) and Last-Event-ID spares them a
   * repeated frame. Streams opened from now on tell their status and close the same way.
   */
  drain(): void {
    this.draining = true;
    // One still opening (read, not started) tells its status first: startStream closes it.
    for (const stream of this.allStreams()) if (stream.sink) this.close(stream);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.drain();
    this.deps.subscriber.disconnect();
  }

  private channelFor(request: PushStreamRequest): Channel {
    const existing = this.channels.get(request.channel);
    if (existing) return existing;
    const name = request.channel;
    const channel: Channel = {
      name,
      streams: new Map(),
      count: 0,
      moved: 0,
      movedSeen: 0,
      phase: request.phase(),
      phaseOf: request.phase,
      subscribed: this.pubsub.subscribe(name).catch((error: unknown) => {
        // Not subscribed (Redis away): the next stream of this event tries again.
        if (this.channels.get(name) === channel) this.channels.delete(name);
        throw error;
      }),
    };
    this.channels.set(name, channel);
    return channel;
  }

  private register(stream: Stream): void {
    const { channel } = stream;
    let set = channel.streams.get(stream.userId);
    if (!set) channel.streams.set(stream.userId, (set = new Set()));
    set.add(stream);
    channel.count++;
  }

  private remove(stream: Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    this.count--;
    const { channel } = stream;
    const set = channel.streams.get(stream.userId);
    set?.delete(stream);
    if (set?.size === 0) channel.streams.delete(stream.userId);
    if (--channel.count === 0 && this.channels.get(channel.name) === channel) {
      this.channels.delete(channel.name);
      this.pubsub.unsubscribe(channel.name).catch(() => undefined);
    }
  }

  private startStream(stream: Stream, sink: PushSink, lastEventId: string | undefined): void {
    if (stream.closed) {
      sink.end();
      return;
    }
    stream.sink = sink;
    sink.onClose(() => this.remove(stream));
    sink.write(sseRetry(this.jittered(this.options.retryMs, 0.5)));
    stream.lastId = lastEventId;
    this.deliver(stream, stream.body, stream.movedAtRead);
    if (this.draining) this.close(stream);
  }

  /** A fresh read: a frame when its state is not the last one told; the end after a final one. */
  private deliver(stream: Stream, body: StreamedStatus, movedAtRead: number): void {
    stream.body = body;
    stream.movedAtRead = movedAtRead;
    if (!stream.sink || stream.closed) return;
    const id = stateIdOf(body);
    if (id !== stream.lastId) this.frame(stream, body, id, 'status');
    if (endsStream(body.status)) {
      this.write(stream, sseFrame('end', '{}'), 'end');
      this.close(stream);
    }
  }

  private frame(stream: Stream, body: StreamedStatus, id: string, kind: 'status' | 'progress') {
    stream.lastId = id;
    stream.sentAhead = body.ahead;
    stream.lastFrameAt = this.clock();
    this.write(stream, sseFrame('status', stream.serialize(body), id), kind);
  }

  private write(stream: Stream, chunk: string, kind: 'status' | 'progress' | 'heartbeat' | 'end') {
    const sink = stream.sink;
    if (!sink || stream.closed) return;
    if (sink.pending > this.options.maxPendingBytes) {
      // A peer that stopped reading: its buffer would grow with every frame.
      this.deps.metrics.pushRefused.inc({ reason: 'slow_reader' });
      this.close(stream);
      return;
    }
    sink.write(chunk);
    stream.lastWriteAt = this.clock();
    this.deps.metrics.pushFrames.inc({ kind });
  }

  private close(stream: Stream): void {
    const sink = stream.sink;
    this.remove(stream);
    sink?.end();
  }

  private onNotice(name: string, text: string): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    const notice = decodeChangeNotice(text);
    if (notice instanceof Error) {
      this.deps.metrics.pushNotices.inc({ outcome: 'invalid' });
      const now = this.clock();
      if (now - this.lastInvalidLog > 60_000) {
        this.lastInvalidLog = now;
        this.deps.logger.warn({ channel: name, err: notice }, 'ignoring a change notice');
      }
      return;
    }
    this.deps.metrics.pushNotices.inc({ outcome: 'received' });
    channel.moved += notice.movedUp ?? 0;
    if (notice.soldOut) {
      for (const set of channel.streams.values())
        for (const stream of set) this.refresh(stream, 'notice');
      return;
    }
    for (const list of [notice.admitted, notice.decided])
      for (const userId of list ?? [])
        for (const stream of channel.streams.get(userId) ?? []) this.refresh(stream, 'notice');
  }

  private tick(): void {
    const now = this.clock();
    const { heartbeatMs, resyncMs } = this.options;
    for (const channel of this.channels.values()) {
      const phase = channel.phaseOf();
      const phaseChanged = phase !== channel.phase;
      channel.phase = phase;
      const moved = channel.moved !== channel.movedSeen;
      channel.movedSeen = channel.moved;
      for (const set of channel.streams.values())
        for (const stream of set) {
          if (!stream.sink) continue;
          // A phase change concerns everyone: spread their reads over a second.
          if (phaseChanged)
            stream.nextResyncAt = Math.min(stream.nextResyncAt, now + 1_000 * Math.random());
          if (now >= stream.nextResyncAt) {
            stream.nextResyncAt = now + this.jittered(resyncMs);
            this.refresh(stream, phaseChanged ? 'phase' : 'resync');
          } else if (moved) this.progress(stream, now);
          if (now - stream.lastWriteAt >= heartbeatMs)
            this.write(stream, SSE_HEARTBEAT, 'heartbeat');
        }
    }
  }

  /** Between reads: the place the admission notices say, at milestones. */
  private progress(stream: Stream, now: number): void {
    if (stream.sentAhead === null) return;
    const moved = movedOn(stream.body, stream.channel.moved - stream.movedAtRead);
    if (!moved || moved.ahead === null) return;
    if (isMilestone(stream.sentAhead, moved.ahead, now - stream.lastFrameAt))
      this.frame(stream, moved, stateIdOf(moved), 'progress');
  }

  private refreshAll(trigger: 'reconnect'): void {
    for (const stream of this.allStreams()) this.refresh(stream, trigger);
  }

  private *allStreams(): Generator<Stream> {
    for (const channel of [...this.channels.values()])
      for (const set of [...channel.streams.values()]) yield* [...set];
  }

  private refresh(stream: Stream, trigger: PushReadTrigger): void {
    const priority: ReadPriority = trigger === 'notice' ? 'changed' : 'routine';
    if (stream.closed || stream.queued === 'changed') return;
    if (stream.queued === 'routine' && priority === 'routine') return;
    if (stream.reading) {
      // The read in flight may have missed this change: once more when it is back.
      if (priority === 'changed' || stream.readAgain === undefined) stream.readAgain = trigger;
      return;
    }
    // A routine read still queued is moved up by queueing the stream again: the entry
    // left behind is skipped when its turn comes (stream.queued no longer says routine).
    stream.queued = priority;
    (priority === 'changed' ? this.changed : this.routine).push(stream);
    this.deps.metrics.pushReads.inc({ trigger });
    this.pump();
  }

  /** The next stream to read: every changed one before any routine one. */
  private next(): Stream | undefined {
    for (;;) {
      const fromChanged = this.changed.length > 0;
      const stream = fromChanged ? this.changed.shift() : this.routine.shift();
      if (!stream) return undefined;
      if (stream.queued !== (fromChanged ? 'changed' : 'routine')) continue;
      stream.queued = undefined;
      if (!stream.closed) return stream;
    }
  }

  private pump(): void {
    while (this.active < this.options.readConcurrency) {
      const stream = this.next();
      if (!stream) break;
      this.active++;
      stream.reading = true;
      const movedAtRead = stream.channel.moved;
      stream
        .read()
        .then(
          (body) => this.deliver(stream, body, movedAtRead),
          (error: unknown) => {
            // Redis away: the stream stays, the next resync (or notice) tries again.
            this.deps.metrics.pushReadFailures.inc();
            this.deps.logger.debug(
              { err: error, userId: stream.userId },
              'push stream read failed',
            );
          },
        )
        .finally(() => {
          this.active--;
          stream.reading = false;
          const again = stream.readAgain;
          stream.readAgain = undefined;
          if (again) this.refresh(stream, again);
          this.pump();
        });
    }
  }

  private jittered(ms: number, spread = 0.2): number {
    return Math.round(ms * (1 + Math.random() * spread));
  }
}
