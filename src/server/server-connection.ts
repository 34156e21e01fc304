import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Subject } from 'rxjs';
import { WebSocket, type RawData } from 'ws';
import {
  CloseCode,
  decodeFrame,
  DEFAULT_MAX_FRAME_BYTES,
  MessageType,
  PROTOCOL_VERSION,
  MAX_STREAMS_PER_SESSION,
  StreamFrameType,
  type DataEnvelope,
  type DecodeLimits,
  type Envelope,
  type NackEnvelope,
  type ProtocolError,
  type StreamCursor,
  type WelcomeEnvelope,
} from '../protocol';
import { ACK_RUNS_FEATURE } from '../protocol/ack-runs';
import { validateClientEnvelope } from './client-envelope';
import { CLOSE_GRACE_MS } from './go-away';
import type { Answer, MessageDispatcher, Reply } from './message-dispatcher';
import { OutgoingBatcher } from './outgoing-batcher';
import { parseHello } from './parse-hello';
import { TokenBucket } from './rate-limiter';
import type { ServerCounters, ServerEvent } from './server-events';
import type { Authenticate, ResolvedServerOptions } from './server-options';
import { sessionKey, type Session, type SessionHolder } from './session-registry';
import type { StreamPublisher } from './stream-publisher';

/** What a connection needs from its server. */
export interface ConnectionContext {
  readonly options: ResolvedServerOptions;
  readonly counters: ServerCounters;
  readonly dispatcher: MessageDispatcher;
  readonly authenticate: Authenticate;
  readonly events: Subject<ServerEvent>;
  /** Authentication passed: `undefined` to admit the session, or why it is refused (closed 4005). */
  admit(principal: string, key: string): string | undefined;
  /** The handshake passed: register the session (replacing an older holder). */
  authenticated(connection: ServerConnection): void;
  /** The socket closed, authenticated or not. */
  closed(connection: ServerConnection, code: number, reason: string): void;
  /** Reliable streams, for clients whose hello offers them (docs/protocol.md, section 14). */
  readonly publisher?: StreamPublisher;
}

/** More malformed frames than this in a row and the peer is not a client of this protocol. */
export const MAX_CONSECUTIVE_BAD_FRAMES = 10;
/** Frames that may arrive between `connect` and the end of authentication (the socket is paused meanwhile). */
const MAX_EARLY_FRAMES = 256;
/** Longest id echoed in a nack: a longer one broke the protocol's id rule and is not echoed back. */
const MAX_ECHOED_ID = 128;

/** Read once: the enum's members are getters across the module boundary, and this runs per envelope. */
const DATA = MessageType.DATA;
const COMMAND = MessageType.COMMAND;

type State = 'handshake' | 'authenticating' | 'open' | 'closing' | 'closed';

/** One socket: handshake, frame decoding, limits, replies. Never throws into `ws`. */
export class ServerConnection implements SessionHolder {
  session: Session | undefined;
  /** Cleared by every ping, set by any inbound frame or pong. */
  isAlive = true;
  private state: State = 'handshake';
  /** The handshake's bound; released once the session is open, like `request` and `early`. */
  private handshakeTimer: NodeJS.Timeout | undefined;
  private readonly batcher: OutgoingBatcher;
  private readonly bucket: TokenBucket | undefined;
  private readonly limits: DecodeLimits;
  private rateViolations = 0;
  private badFrames = 0;
  /** Frames held while authenticating; undefined once open (a live connection holds nothing for its handshake). */
  private early: Array<[RawData, boolean]> | undefined;
  /** Set when the server cut a peer that stopped reading: reported even if the socket had to be terminated. */
  private cutCode: number | undefined;
  private cutTimer: NodeJS.Timeout | undefined;
  /** While a batch frame is being routed: whether the current copy of an id was answered earlier in it. */
  private isRepeat: (() => boolean) | undefined;

  constructor(
    readonly ws: WebSocket,
    private request: IncomingMessage | undefined,
    private readonly ctx: ConnectionContext,
  ) {
    const { options } = ctx;
    this.limits = decodeLimits(options);
    this.batcher = new OutgoingBatcher(this.write, this.unserialisable, {
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      maxQueuedBytes: options.maxBufferedBytes,
      buffered: () => this.ws.bufferedAmount,
      overBudget: () => this.cutSlowConsumer(),
      tooLarge: this.tooLarge,
      failed: (error) => this.report(error),
    });
    this.bucket =
      options.rateLimit && new TokenBucket(options.rateLimit.messagesPerSecond, options.rateLimit.burst);
    ws.on('message', this.onMessage);
    ws.on('pong', () => (this.isAlive = true));
    ws.on('error', (error) => this.report(error));
    ws.once('close', (code, reason) => this.onClose(code, reason.toString()));
    this.handshakeTimer = setTimeout(
      () => this.close(CloseCode.HANDSHAKE_TIMEOUT, 'handshake timeout'),
      options.handshakeTimeout,
    );
    this.handshakeTimer.unref();
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Queues an envelope for this tick's frame. */
  push(envelope: Envelope): void {
    if (this.state === 'open') this.batcher.push(envelope);
  }

  /** Queues an envelope already encoded as `text` (a stream frame). */
  pushEncoded(text: string, envelope: Envelope): void {
    if (this.state === 'open') this.batcher.pushEncoded(text, envelope);
  }

  /** Called by the server's heartbeat timer: terminate if the last ping went unanswered, else ping. */
  heartbeat(): void {
    if (!this.isAlive) {
      this.ctx.counters.heartbeatTimeouts++;
      this.ws.terminate();
      return;
    }
    this.isAlive = false;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  /** Sends what is queued, then the close frame. */
  close(code: number, reason: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.batcher.flush();
    this.state = 'closing';
    // A socket paused for authentication must read again, or the peer's close frame is never seen.
    if (this.ws.isPaused) this.ws.resume();
    this.ws.close(code, reason);
  }

  replaced(): void {
    this.close(CloseCode.SESSION_REPLACED, 'session replaced by a newer connection');
  }

  private readonly onMessage = (data: RawData, isBinary: boolean): void => {
    this.isAlive = true;
    try {
      if (this.state === 'open') this.onFrame(data, isBinary);
      else if (this.state === 'handshake') void this.onHello(data, isBinary);
      else if (this.state === 'authenticating') this.holdEarly(data, isBinary);
    } catch (error) {
      // Defensive: a bug here must cost this socket, not the process.
      this.report(error);
      this.close(CloseCode.INTERNAL_ERROR, 'internal error');
    }
  };

  private onFrame(data: RawData, isBinary: boolean): void {
    if (isBinary) return this.violation('binary frames are not part of the protocol');
    const { envelopes, errors } = decodeFrame(data.toString(), this.limits, validateClientEnvelope);
    if (errors.length > 0) {
      for (const error of errors) this.rejectEnvelope(error);
      if (++this.badFrames > MAX_CONSECUTIVE_BAD_FRAMES)
        return this.close(CloseCode.PROTOCOL_ERROR, 'too many malformed frames');
    } else {
      this.badFrames = 0;
    }
    if (envelopes.length === 1) {
      this.route(envelopes[0]!);
      return;
    }
    // Copies of one id in one frame get one answer, the first copy's (a hostile frame of 10,000
    // copies of an answered id would otherwise ask for 10,000 copies of its response). Only a
    // frame holding a duplicate pays for the set of its ids, built when the first one shows up.
    let index = 0;
    let ids: Set<string> | undefined;
    let live = true;
    const isRepeat = (): boolean => {
      if (!live || ids !== undefined) return false; // once the set exists, the loop below checks
      ids = new Set();
      for (let i = 0; i < index; i++) {
        const earlier = envelopes[i]!;
        if (earlier.type === DATA || earlier.type === COMMAND) ids.add(earlier.id);
      }
      const id = (envelopes[index] as DataEnvelope).id;
      const repeat = ids.has(id);
      ids.add(id);
      return repeat;
    };
    this.isRepeat = isRepeat;
    try {
      for (; index < envelopes.length; index++) {
        if (this.state !== 'open') return;
        const envelope = envelopes[index]!;
        if (ids !== undefined && (envelope.type === DATA || envelope.type === COMMAND)) {
          const before = ids.size;
          if (ids.add(envelope.id).size === before) {
            this.ctx.counters.messagesReceived++;
            this.ctx.counters.duplicates++;
            continue;
          }
        }
        this.route(envelope);
      }
    } finally {
      live = false;
      this.isRepeat = undefined;
    }
  }

  private route(envelope: Envelope): void {
    switch (envelope.type) {
      case DATA: // module constants: no getter call per envelope through a CommonJS build
      case COMMAND:
        return this.onAppMessage(envelope);
      case MessageType.HEARTBEAT:
        return this.batcher.push({ type: MessageType.HEARTBEAT_ACK, ts: envelope.ts });
      case MessageType.DISCONNECT:
        return this.close(CloseCode.NORMAL, 'client disconnected');
      case StreamFrameType.ACK:
        return this.ctx.publisher?.ack(this, envelope);
      case MessageType.CONNECT:
        this.ctx.counters.protocolErrors++;
        return this.nack(
          undefined,
          'PROTOCOL_ERROR',
          'Already connected: `connect` is only valid as the first frame.',
        );
      default:
        // ack, nack, response, heartbeat_ack, reconnect: nothing for a server to do; ignored for forward compatibility.
        return;
    }
  }

  private onAppMessage(envelope: DataEnvelope): void {
    const { counters, events, dispatcher } = this.ctx;
    counters.messagesReceived++;
    if (this.bucket !== undefined) {
      const waitMs = this.bucket.take();
      if (waitMs > 0) return this.rateLimited(envelope.id, waitMs);
      this.rateViolations = 0;
    }
    const session = this.session!;
    if (events.observed) {
      events.next({
        type: 'message',
        clientId: session.clientId,
        principal: session.principal,
        messageId: envelope.id,
        name: envelope.name,
      });
    }
    dispatcher.dispatch(session, envelope, this.reply, this.isRepeat);
  }

  private rateLimited(id: string, waitMs: number): void {
    this.ctx.counters.rateLimited++;
    this.nack(
      id,
      'RATE_LIMITED',
      `Rate limit of ${this.ctx.options.rateLimit!.messagesPerSecond} messages/s exceeded; retry after ${waitMs} ms.`,
      waitMs,
    );
    if (++this.rateViolations > this.ctx.options.rateLimit!.burst)
      this.close(CloseCode.RATE_LIMITED, 'rate limit exceeded repeatedly');
  }

  private readonly reply: Reply = (id: string, answer: Answer): void => {
    if (this.state !== 'open') return; // the socket is gone; the dedupe store answers the client's resend
    if (!answer.ok)
      return this.nack(
        id,
        answer.code,
        answer.message,
        'retryAfterMs' in answer ? answer.retryAfterMs : undefined,
      );
    if (answer.response === undefined) this.batcher.ack(id);
    else this.batcher.ackWith(id, answer.response, answer);
  };

  private nack(id: string | undefined, code: string, message: string, retryAfter?: number): void {
    this.ctx.counters.nacks++;
    const nack: NackEnvelope = { type: MessageType.NACK, code, message };
    if (id !== undefined) nack.id = id;
    if (retryAfter !== undefined) nack.retryAfter = retryAfter;
    this.batcher.push(nack);
  }

  private rejectEnvelope(error: ProtocolError): void {
    this.ctx.counters.protocolErrors++;
    // Only a well-formed id is echoed: a nack carrying a broken one would itself break the protocol.
    const id =
      error.messageId !== undefined && error.messageId.length > 0 && error.messageId.length <= MAX_ECHOED_ID
        ? error.messageId
        : undefined;
    this.nack(id, 'PROTOCOL_ERROR', `${error.reason}: ${error.message}`);
  }

  private violation(message: string): void {
    this.ctx.counters.protocolErrors++;
    this.nack(undefined, 'PROTOCOL_ERROR', message);
    this.close(CloseCode.PROTOCOL_ERROR, message.slice(0, 120));
  }

  private async onHello(data: RawData, isBinary: boolean): Promise<void> {
    const hello = parseHello(data, isBinary, this.limits);
    if (typeof hello === 'string') return this.violation(hello);
    this.state = 'authenticating';
    this.ws.pause();
    let principal: string | null | undefined;
    try {
      principal = await this.ctx.authenticate(hello.apiKey, this.request!);
    } catch (error) {
      this.report(error);
      return this.close(CloseCode.INTERNAL_ERROR, 'authentication unavailable');
    }
    if ((this.state as State) !== 'authenticating') return; // timed out or closed meanwhile
    if (typeof principal !== 'string' || principal.length === 0) {
      this.ctx.counters.authFailures++;
      this.nack(
        undefined,
        'AUTHENTICATION_FAILED',
        hello.apiKey === undefined
          ? 'No apiKey was given in the connect frame.'
          : 'The API key was not accepted; check `apiKey`.',
      );
      return this.close(CloseCode.AUTHENTICATION_FAILED, 'authentication failed');
    }
    this.batcher.ackRuns = hello.features?.includes(ACK_RUNS_FEATURE) === true;
    await this.open(principal, hello.clientId, hello.maxPayload ?? DEFAULT_MAX_FRAME_BYTES, hello.streams);
  }

  private async open(
    principal: string,
    clientId: string,
    maxFrameBytes: number,
    cursors?: StreamCursor[],
  ): Promise<void> {
    const key = sessionKey(principal, clientId);
    const refusal = this.ctx.admit(principal, key);
    if (refusal !== undefined) return this.close(CloseCode.TOO_MANY_CONNECTIONS, refusal);
    const sessionId = randomUUID();
    const publisher = this.ctx.publisher;
    let streams: Awaited<ReturnType<StreamPublisher['open']>> | undefined;
    if (publisher !== undefined && cursors !== undefined) {
      try {
        const names = checkStreams(this.ctx.options.streams({ principal, clientId, sessionId }));
        streams = await publisher.open(this, names, cursors);
      } catch (error) {
        this.report(error);
        publisher.detach(this);
        return this.close(CloseCode.INTERNAL_ERROR, 'streams unavailable');
      }
      if ((this.state as State) !== 'authenticating') return publisher.detach(this);
    }
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.session = { principal, clientId, sessionId, key, maxFrameBytes };
    this.batcher.limits.maxFrameBytes = maxFrameBytes;
    this.state = 'open';
    this.ctx.authenticated(this);
    const { dedupeTtl, heartbeatInterval, maxPayload } = this.ctx.options;
    const welcome: WelcomeEnvelope = {
      type: MessageType.CONNECT,
      v: PROTOCOL_VERSION,
      sessionId,
      dedupeTtl,
      heartbeatInterval,
      maxPayload,
    };
    if (streams !== undefined) welcome.streams = streams.verdicts;
    this.batcher.push(welcome);
    this.batcher.flush();
    streams?.begin(); // replay follows the welcome, before anything live
    this.ctx.events.next({
      type: 'connection',
      clientId,
      principal,
      sessionId,
      remoteAddress: this.request?.socket.remoteAddress,
    });
    // The open session keeps nothing of its handshake: the request (its headers, its socket's parser state) goes.
    this.request = undefined;
    this.ws.resume();
    const early = this.early;
    this.early = undefined;
    if (early !== undefined) for (const [data, isBinary] of early) this.onMessage(data, isBinary);
  }

  private holdEarly(data: RawData, isBinary: boolean): void {
    const early = (this.early ??= []);
    if (early.length >= MAX_EARLY_FRAMES)
      return this.violation('too many frames before the handshake completed');
    early.push([data, isBinary]);
  }

  private readonly write = (frame: string): void => {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(frame);
    // Only writes grow the buffer, so checking here catches every peer that stopped reading.
    if (this.ws.bufferedAmount > this.ctx.options.maxBufferedBytes) this.cutSlowConsumer();
  };

  /**
   * Closes 4008 without flushing (more output is the problem). The close frame
   * queues behind the unread bytes, so a peer that does not catch up within
   * the grace period is terminated: its buffer is freed either way.
   */
  private cutSlowConsumer(): void {
    if (this.cutCode !== undefined || this.state === 'closed') return;
    this.ctx.counters.slowConsumers++;
    this.cutCode = CloseCode.SLOW_CONSUMER;
    this.state = 'closing';
    this.batcher.discard();
    this.ws.close(CloseCode.SLOW_CONSUMER, 'slow consumer: too many unread bytes');
    this.cutTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    this.cutTimer.unref();
  }

  /** An answer the peer could not take: a nack in its place (the dispatcher already records such outcomes). */
  private readonly tooLarge = (envelope: Envelope, bytes: number): Envelope | undefined => {
    const limit = this.batcher.limits.maxFrameBytes;
    this.report(
      new RangeError(
        `An outgoing ${envelope.type} of ${bytes} bytes is over the peer's ${limit}-byte frame limit.`,
      ),
    );
    if (envelope.type !== MessageType.ACK || envelope.id === undefined) return undefined;
    this.ctx.counters.nacks++;
    return {
      type: MessageType.NACK,
      id: envelope.id,
      code: 'RESPONSE_TOO_LARGE',
      message: `RESPONSE_TOO_LARGE: the ack is ${bytes} bytes; this client takes frames of at most ${limit} bytes.`,
    };
  };

  private readonly unserialisable = (error: unknown, envelope: Envelope): Envelope | undefined => {
    this.report(error);
    if (envelope.type !== MessageType.ACK || envelope.id === undefined) return undefined;
    this.ctx.counters.nacks++;
    return {
      type: MessageType.NACK,
      id: envelope.id,
      code: 'RESPONSE_NOT_SERIALIZABLE',
      message: 'The handler returned a value JSON cannot encode.',
    };
  };

  private report(error: unknown): void {
    this.ctx.events.next({ type: 'error', error, clientId: this.session?.clientId });
  }

  private onClose(code: number, reason: string): void {
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.cutTimer);
    if (this.cutCode !== undefined && code === CloseCode.ABNORMAL) {
      code = this.cutCode;
      reason = 'slow consumer (terminated)';
    }
    this.batcher.discard();
    this.early = undefined;
    this.request = undefined;
    this.ctx.closed(this, code, reason);
  }
}

/** One decode-limits object per server's options, shared by its connections. */
const LIMITS = new WeakMap<ResolvedServerOptions, DecodeLimits>();
function decodeLimits(options: ResolvedServerOptions): DecodeLimits {
  let limits = LIMITS.get(options);
  if (limits === undefined) LIMITS.set(options, (limits = { maxLength: options.maxPayload }));
  return limits;
}

/** The `streams(session)` option's answer, checked: a bad list is a server fault (1011), not the client's. */
function checkStreams(value: unknown): readonly string[] {
  if (
    !Array.isArray(value) ||
    value.length > MAX_STREAMS_PER_SESSION ||
    !value.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 128)
  ) {
    throw new TypeError(
      `\`streams(session)\` must return an array of at most ${MAX_STREAMS_PER_SESSION} stream names of 1 to 128 characters.`,
    );
  }
  return value as string[];
}
