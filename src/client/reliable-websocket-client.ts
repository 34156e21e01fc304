import {
  Observable,
  Subject,
  auditTime,
  defer,
  distinctUntilChanged,
  from,
  map,
  merge,
  startWith,
} from 'rxjs';
import { MessageType, type ConnectionState } from '../protocol/enums';
import type { Envelope, OutboundMessage } from '../protocol/envelope';
import { ConnectionError, QueueFullError, ReliableWebSocketError, StorageError } from '../protocol/errors';
import { MessageQueue } from '../queue/message-queue';
import { createMessageId } from '../queue/queued-message';
import { MemoryStorageAdapter } from '../storage/memory-storage-adapter';
import type { StorageAdapter } from '../storage/storage-adapter';
import { browserPlatform } from './browser-platform';
import type { ClientEvent, InboundMessage } from './client-events';
import { ClientEventTarget } from './client-event-target';
import { toDomEvent } from './client-events';
import type { ReliableClientOptions, ResolvedClientOptions } from './client-options';
import { ClientStatsCounter, type ClientStats } from './client-stats';
import { Connection } from './connection';
import { Delivery } from './delivery';
import type { DeliveryResult, SendOptions } from './delivery-result';
import { FrameWriter } from './frame-writer';
import { LeaderGatedStorage } from './leader-gated-storage';
import type { Platform } from './platform';
import { resolveClientOptions } from './resolve-options';
import { SingleSender } from './single-sender';
import { StorageFallbackAdapter } from './storage-fallback';
import { validateOutbound } from './validate-outbound';

/** Dedupe window assumed until a server has advertised its own (the reference server's default). */
const ASSUMED_DEDUPE_TTL = 600_000;

/**
 * Reliable WebSocket client: a persisted priority queue, acks with retries and
 * server-side dedupe (effectively-once), heartbeats and reconnection with
 * backoff. The observables are the core; promises, DOM events and
 * `getStats()` are views of them.
 */
export class ReliableWebSocketClient extends ClientEventTarget {
  /** Connection state; replays the current one. */
  readonly state$: Observable<ConnectionState>;
  /** Application messages pushed by the server. */
  readonly messages$: Observable<InboundMessage>;
  /** Every client event, as `{ type, detail }`. */
  readonly events$: Observable<ClientEvent>;
  /** Stats snapshots on change, at most one per 100 ms. */
  readonly stats$: Observable<ClientStats>;

  private readonly options: ResolvedClientOptions;
  private readonly queue: MessageQueue;
  private readonly writer = new FrameWriter();
  private readonly delivery: Delivery;
  private readonly connection: Connection;
  private readonly counters = new ClientStatsCounter();
  private readonly eventsSubject = new Subject<ClientEvent>();
  private readonly messagesSubject = new Subject<InboundMessage>();
  private readonly stopOnline: () => void;
  /** Set when tabs share the queue (browsers with Web Locks): only the lock holder connects. */
  private readonly sender: SingleSender | undefined;
  private clientIdValue: string | undefined;
  private dedupeTtl = ASSUMED_DEDUPE_TTL;
  private maxPayload = 1024 * 1024;
  private initialized: Promise<void> | undefined;
  private previousState: ConnectionState | undefined;
  /** Storage the client created itself, and so closes; a caller's `storage` stays the caller's. */
  private readonly ownedStorage: StorageAdapter | undefined;

  constructor(url: string, options: ReliableClientOptions = {}, platform: Platform = browserPlatform) {
    super();
    this.options = resolveClientOptions(url, options);
    const { options: o } = this;
    const WebSocketCtor = o.WebSocketCtor ?? platform.defaultWebSocket();
    if (!WebSocketCtor) throw new TypeError(platform.missingWebSocketHint);
    const chosen =
      o.storage ?? (o.enablePersistence ? platform.defaultStorage(o.storageKey) : new MemoryStorageAdapter());
    this.ownedStorage = o.storage ? undefined : chosen;
    const storage = o.enablePersistence
      ? new StorageFallbackAdapter(chosen, o.storageFallback, (error) =>
          this.emit({ type: 'error', detail: { error } }),
        )
      : chosen;
    const coordination =
      o.singleSender && o.enablePersistence && chosen.durable
        ? platform.tabCoordination?.(`rx-reliable-ws:${o.storageKey}`)
        : undefined;
    const gate = coordination ? new LeaderGatedStorage(storage) : undefined;
    this.queue = new MessageQueue(
      {
        maxSize: o.queueSize,
        enablePersistence: o.enablePersistence,
        storageKey: o.storageKey,
        defaultPriority: o.defaultPriority,
        defaultTTL: o.defaultTTL,
      },
      gate ?? storage,
      { scheduler: o.scheduler },
    );
    this.delivery = new Delivery(
      this.queue,
      this.writer,
      {
        maxInFlight: o.maxInFlight,
        messageTimeout: o.messageTimeout,
        maxRetries: o.maxRetries,
        scheduler: o.scheduler,
      },
      (event) => this.emit(event),
      this.counters,
    );
    this.connection = new Connection(o, WebSocketCtor, () => this.clientIdValue!, {
      welcome: (welcome, socket, isReconnect) => {
        this.dedupeTtl = welcome.dedupeTtl;
        this.maxPayload = welcome.maxPayload;
        this.writer.attach(socket, welcome.maxPayload);
        if (isReconnect) this.counters.reconnects++;
        const resent = this.delivery.online();
        this.emit({
          type: 'open',
          detail: { sessionId: welcome.sessionId, clientId: this.clientIdValue!, resent },
        });
      },
      envelope: (envelope) => this.onEnvelope(envelope),
      closed: (code, reason) => {
        this.writer.detach();
        this.delivery.offline();
        this.emit({ type: 'close', detail: { code, reason } });
      },
      reconnecting: (attempt, delay, error) =>
        this.emit({ type: 'reconnecting', detail: { attempt, delay, error } }),
      protocolError: (error) => this.emit({ type: 'error', detail: { error } }),
      heartbeatLatency: (ms) => (this.counters.latency = ms),
      heartbeatMiss: (missed) => this.emit({ type: 'heartbeatTimeout', detail: { missed } }),
      failed: (error) => this.emit({ type: 'error', detail: { error } }),
    });
    this.stopOnline = platform.onOnline(() => this.connection.reconnectNow());
    this.sender =
      coordination && gate
        ? new SingleSender(coordination, {
            scheduler: o.scheduler,
            storageKey: o.storageKey,
            storage,
            gate,
            queue: this.queue,
            delivery: this.delivery,
            counters: this.counters,
            events$: this.eventsSubject,
            connectionState$: this.connection.state$,
            limits: () => ({
              clientId: this.clientIdValue,
              dedupeTtl: this.dedupeTtl,
              maxPayload: this.maxPayload,
            }),
            init: () => this.init(),
            start: () => this.connection.start(),
            emit: (event) => this.emit(event),
            inbound: (message) => {
              this.messagesSubject.next(message);
              this.emit({ type: 'message', detail: message });
            },
          })
        : undefined;

    const state$ = this.sender?.state$ ?? this.connection.state$;
    this.state$ = state$.pipe(distinctUntilChanged());
    state$.subscribe((current) => this.onStateChange(current));
    this.messages$ = this.messagesSubject.asObservable();
    this.events$ = this.eventsSubject.asObservable();
    this.stats$ = merge(this.eventsSubject, this.queue.size$).pipe(
      auditTime(100, o.scheduler),
      startWith(null),
      map(() => this.getStats()),
    );
  }

  /** In a tab that does not send (see `isLeader`), the sending tab's state. */
  get state(): ConnectionState {
    return this.sender?.state ?? this.connection.state;
  }

  /**
   * False while another tab holds this `storageKey`'s lock and sends for it
   * (`singleSender`); this tab's messages then travel through that tab.
   */
  get isLeader(): boolean {
    return this.sender?.isLeader ?? true;
  }

  /** The identity the server dedupes by; known once `connect()` or a send has restored the queue. */
  get clientId(): string | undefined {
    return this.clientIdValue ?? this.sender?.limits?.clientId;
  }

  /** False when accepted messages live in memory only. */
  get durable(): boolean {
    return this.options.enablePersistence && this.queue.durable;
  }

  /** Restores the persisted queue, then connects; resolves once the handshake is done. */
  async connect(): Promise<void> {
    if (this.sender && !this.sender.isLeader) return this.sender.connect();
    await this.init();
    await this.connection.start();
  }

  /** Closes cleanly; no reconnection after it. Accepted messages stay queued (and persisted) for a later connect. */
  async disconnect(): Promise<void> {
    this.sender?.disconnect();
    await this.connection.stop();
  }

  /**
   * Accepts a message (queued, persisted when persistence is on) and resolves
   * with how its delivery ended. Rejects only for invalid input.
   */
  async sendWithAcknowledgement<R = unknown>(
    message: OutboundMessage,
    options: SendOptions = {},
  ): Promise<DeliveryResult<R>> {
    const receipt = await this.accept(message, options, false);
    return receipt.result as Promise<DeliveryResult<R>>;
  }

  /** Resolves once the message is accepted (and persisted); `result` settles when its delivery ends. */
  async send(
    message: OutboundMessage,
    options: SendOptions = {},
  ): Promise<{ messageId: string; result: Promise<DeliveryResult> }> {
    return this.accept(message, options, true);
  }

  /** Cold observable form of `sendWithAcknowledgement`: accepts on subscribe, emits the result, completes. */
  send$<R = unknown>(message: OutboundMessage, options: SendOptions = {}): Observable<DeliveryResult<R>> {
    return defer(() => from(this.sendWithAcknowledgement<R>(message, options)));
  }

  getStats(): ClientStats {
    return this.counters.snapshot({
      state: this.state,
      clientId: this.clientIdValue,
      queueSize: this.queue.size + (this.sender?.pendingCount ?? 0),
      inFlight: this.delivery.inFlight,
      durable: this.durable,
    });
  }

  /** Disconnects and releases timers and storage handles; the client cannot be used afterwards. */
  async close(): Promise<void> {
    await this.disconnect();
    this.sender?.detach();
    this.stopOnline();
    this.delivery.dispose();
    await this.queue.close();
    this.sender?.close();
    await this.ownedStorage?.close?.();
    this.eventsSubject.complete();
    this.messagesSubject.complete();
  }

  private init(): Promise<void> {
    this.initialized ??= (async () => {
      try {
        await this.queue.ready;
      } catch {
        // Storage is unavailable (storageFallback 'none'): reported on errors$, and every send
        // rejects with it. The link still comes up for what the server pushes.
        this.clientIdValue = this.options.clientId ?? `c-${createMessageId()}`;
        return;
      }
      this.clientIdValue =
        this.options.clientId ?? (await this.queue.getMeta<string>('clientId')) ?? undefined;
      if (!this.clientIdValue) {
        this.clientIdValue = `c-${createMessageId()}`;
        await this.queue.setMeta('clientId', this.clientIdValue);
      }
      this.delivery.restored();
    })();
    return this.initialized;
  }

  private async accept(
    message: OutboundMessage,
    options: SendOptions,
    rejectWhenFull: boolean,
  ): Promise<{ messageId: string; result: Promise<DeliveryResult> }> {
    const ttl = options.ttl ?? this.options.defaultTTL;
    const limits = this.sender?.limits ?? { dedupeTtl: this.dedupeTtl, maxPayload: this.maxPayload };
    const payloadJson = validateOutbound(message, options, {
      dedupeTtl: limits.dedupeTtl,
      maxPayload: limits.maxPayload,
      ttl,
    });
    if (!this.options.enableQueue && this.state !== 'connected') {
      const error = new ConnectionError(
        'Not connected and `enableQueue` is false: the message was not accepted.',
      );
      if (rejectWhenFull) throw error;
      return {
        messageId: '',
        result: Promise.resolve({ acknowledged: false, messageId: '', attempts: 0, error }),
      };
    }
    const priority = options.priority ?? this.options.defaultPriority;
    if (this.sender && !this.sender.isLeader)
      return this.sender.accept(message, { priority, ttl }).catch(this.reportStorageError);
    await this.init();
    let queued;
    try {
      queued = await this.queue.enqueue(message, { priority, ttl });
    } catch (error) {
      if (error instanceof StorageError) this.reportStorageError(error);
      if (error instanceof QueueFullError && !rejectWhenFull) {
        this.counters.failed(false);
        this.emit({ type: 'messageFailed', detail: { messageId: '', attempts: 0, error } });
        return {
          messageId: '',
          result: Promise.resolve({ acknowledged: false, messageId: '', attempts: 0, error }),
        };
      }
      throw error;
    }
    const result = new Promise<DeliveryResult>((resolve) =>
      this.delivery.accepted(queued, {
        resolve,
        timeout: options.timeout,
        maxRetries: options.maxRetries,
        payloadJson,
      }),
    );
    this.emit({
      type: 'messageQueued',
      detail: { messageId: queued.id, type: queued.type, priority: queued.priority },
    });
    return { messageId: queued.id, result };
  }

  /** A send refused by storage is the caller's rejection and, for whoever watches, an `error` event. */
  private readonly reportStorageError = (error: unknown): never => {
    if (error instanceof StorageError) this.emit({ type: 'error', detail: { error } });
    throw error;
  };

  private onEnvelope(envelope: Envelope): void {
    switch (envelope.type) {
      case MessageType.ACK:
        this.delivery.handleAck(envelope);
        return;
      case MessageType.NACK:
        if (envelope.id !== undefined) this.delivery.handleNack({ ...envelope, id: envelope.id });
        else
          this.emit({
            type: 'error',
            detail: { error: new ReliableWebSocketError(envelope.code, envelope.message) },
          });
        return;
      case MessageType.DATA:
      case MessageType.COMMAND: {
        this.counters.messagesReceived++;
        const inbound: InboundMessage = { type: envelope.name, payload: envelope.payload, id: envelope.id };
        this.messagesSubject.next(inbound);
        this.emit({ type: 'message', detail: inbound });
        this.sender?.relay(inbound);
        return;
      }
      case MessageType.RECONNECT:
        this.connection.closeSocket(1012, 'server asked to reconnect');
        return;
      default:
        return;
    }
  }

  private onStateChange(current: ConnectionState): void {
    const previous = this.previousState;
    this.previousState = current;
    if (previous !== undefined && previous !== current)
      this.emit({ type: 'stateChange', detail: { previous, current } });
  }

  private emit(event: ClientEvent): void {
    this.eventsSubject.next(event);
    if (this.hasListeners(event.type)) this.dispatchEvent(toDomEvent(event));
  }
}
