import {
  EMPTY,
  Observable,
  Subject,
  auditTime,
  catchError,
  defer,
  distinctUntilChanged,
  from,
  map,
  merge,
  pairwise,
  startWith,
  switchMap,
} from 'rxjs';
import { ConnectionState, MessageType } from '../protocol/enums';
import { StreamFrameType } from '../protocol/stream-envelope';
import type { Envelope, OutboundMessage } from '../protocol/envelope';
import { ConnectionError, QueueFullError, ReliableWebSocketError, StorageError } from '../protocol/errors';
import { MessageQueue } from '../queue/message-queue';
import type { EnqueueOptions } from '../queue/message-queue-config';
import { createMessageId } from '../queue/queued-message';
import { MemoryStorageAdapter } from '../storage/memory-storage-adapter';
import type { StorageAdapter } from '../storage/storage-adapter';
import { browserPlatform } from './browser-platform';
import type { ClientEvent, ClientEventMap, ClientEventType, InboundMessage } from './client-events';
import { ClientEventTarget } from './client-event-target';
import { knownClientId, newClientId } from './client-identity';
import type { ReliableClientOptions, ResolvedClientOptions } from './client-options';
import { ClientStatsCounter, type ClientStats } from './client-stats';
import { Connection } from './connection';
import { Delivery } from './delivery';
import type { DeliveryResult, SendOptions } from './delivery-result';
import { FrameWriter } from './frame-writer';
import type { InboundStreams } from './inbound-streams';
import { LeaderGatedStorage } from './leader-gated-storage';
import type { Platform } from './platform';
import { resolveClientOptions } from './resolve-options';
import type { SingleSender } from './single-sender';
import { withStorageFallback } from './storage-fallback';
import { validateOutbound } from './validate-outbound';

/** What `send` resolves with once a message is accepted. */
interface Receipt {
  messageId: string;
  result: Promise<DeliveryResult>;
}

/** A message refused before it was queued: no id, no attempt. */
const refused = (error: ReliableWebSocketError): Receipt => ({
  messageId: '',
  result: Promise.resolve({ acknowledged: false, messageId: '', attempts: 0, error }),
});

const resultOf = (receipt: Receipt): Promise<DeliveryResult> => receipt.result;

/** `new Promise(capture)` hands its resolver to `captured`: no closure per message. */
let captured: ((result: DeliveryResult) => void) | undefined;
const capture = (resolve: (result: DeliveryResult) => void): void => {
  captured = resolve;
};

/** The options of a send given none: shared (they are only read), not an object per message. */
const NO_OPTIONS: SendOptions = Object.freeze({});

const closedError = (): ConnectionError =>
  new ConnectionError('The client is closed; create a new ReliableWebSocketClient.');

/**
 * Reliable WebSocket client: a persisted priority queue, acks with retries and
 * server-side dedupe (effectively-once), heartbeats and reconnection with
 * backoff. The observables are the core; promises, DOM events and
 * `getStats()` are views of them.
 */
export class ReliableWebSocketClient extends ClientEventTarget {
  readonly #options: ResolvedClientOptions;
  readonly #queue: MessageQueue;
  readonly #delivery: Delivery;
  readonly #connection: Connection;
  readonly #writer = new FrameWriter();
  /** Reliable streams (a lazy chunk): loaded by the first `connect()`, before the hello offers them. */
  #streams: InboundStreams | undefined;
  #streamsLoading: Promise<InboundStreams> | undefined;
  /** The streams chunk did not load: the next `connect()` tries again. */
  #streamsFailed = false;
  readonly #counters = new ClientStatsCounter();
  readonly #events = new Subject<ClientEvent>();
  readonly #messages = new Subject<InboundMessage>();
  readonly #stopOnline: () => void;
  /** Set when tabs share the queue (browsers with Web Locks): only the lock holder connects. */
  #sender: SingleSender | undefined;
  /**
   * The single sender's chunk, loading from construction on when tabs share the queue:
   * connect, send and commit wait for it; until then this tab does not lead.
   */
  readonly #senderLoading: Promise<SingleSender> | undefined;
  readonly #gate: LeaderGatedStorage | undefined;
  /** What the queue and the stream cursors read and write (gated while another tab leads). */
  readonly #storage: StorageAdapter;
  /** Storage the client created itself, and so closes; a caller's `storage` stays the caller's. */
  readonly #ownedStorage: StorageAdapter | undefined;
  #clientId: string | undefined;
  /** The server's limits; until a welcome advertises them, the reference server's defaults. */
  #limits = { dedupeTtl: 600_000, maxPayload: 1024 * 1024 };
  #initialized: Promise<void> | undefined;
  /** Reused by every `#acceptNow` (`enqueueNow` reads it at once): no object per message. */
  readonly #enqueueOptions: EnqueueOptions = {};
  /** `#init()` has resolved (it is memoised): a send need not await it. */
  #ready = false;
  /** Set by `close()`: from then on connect and send reject. */
  #closed = false;

  /** Connection state; replays the current one. */
  readonly state$: Observable<ConnectionState>;
  /** Application messages pushed by the server. */
  readonly messages$ = this.#messages.asObservable();
  /** Every client event, as `{ type, detail }`. */
  readonly events$ = this.#events.asObservable();
  /** Stats snapshots on change, at most one per 100 ms. */
  readonly stats$: Observable<ClientStats>;

  constructor(url: string, options: ReliableClientOptions = {}, platform: Platform = browserPlatform) {
    super();
    const o = (this.#options = resolveClientOptions(url, options));
    const WebSocketCtor = o.WebSocketCtor ?? platform.defaultWebSocket();
    if (!WebSocketCtor) throw new TypeError(platform.missingWebSocketHint);
    const chosen =
      o.storage ?? (o.enablePersistence ? platform.defaultStorage(o.storageKey) : new MemoryStorageAdapter());
    this.#ownedStorage = o.storage ? undefined : chosen;
    const storage = o.enablePersistence
      ? withStorageFallback(chosen, o.storageFallback, this.#error)
      : chosen;
    const coordination =
      o.singleSender && o.enablePersistence && chosen.durable
        ? platform.tabCoordination?.(`rx-reliable-ws:${o.storageKey}`)
        : undefined;
    const gate = (this.#gate = coordination && new LeaderGatedStorage(storage));
    this.#storage = gate ?? storage;
    // The queue takes its options (enablePersistence, storageKey, defaultPriority, defaultTTL) from the client's.
    const queue = (this.#queue = new MessageQueue({ ...o, maxSize: o.queueSize }, gate ?? storage, o));
    const counters = this.#counters;
    const writer = this.#writer;
    const delivery = (this.#delivery = new Delivery(queue, writer, o, this.#emit, counters, this.#watched));
    const connection = (this.#connection = new Connection(o, WebSocketCtor, () => this.#clientId!, {
      welcome: (welcome, socket, isReconnect) => {
        const { sessionId, dedupeTtl, maxPayload } = welcome;
        this.#limits = { dedupeTtl, maxPayload };
        writer.attach(socket, maxPayload);
        this.#streams?.welcome(welcome.streams);
        if (isReconnect) counters.reconnects++;
        this.#fire('open', { sessionId, clientId: this.#clientId!, resent: delivery.online() });
      },
      envelope: (envelope) => this.#onEnvelope(envelope),
      // Loaded before the connection starts; a hello without them would not offer streams at all.
      helloStreams: () => this.#streams?.cursors(),
      closed: (code, reason) => {
        writer.detach();
        this.#streams?.offline();
        delivery.offline();
        this.#fire('close', { code, reason });
      },
      reconnecting: (attempt, delay, error) => this.#fire('reconnecting', { attempt, delay, error }),
      protocolError: this.#error,
      heartbeatLatency: (ms) => (counters.latency = ms),
      heartbeatMiss: (missed) => this.#fire('heartbeatTimeout', { missed }),
      failed: this.#error,
    }));
    this.#stopOnline = platform.onOnline(() => connection.reconnectNow());
    const loading = (this.#senderLoading =
      coordination &&
      gate &&
      import('./single-sender').then(
        ({ SingleSender }) =>
          (this.#sender = new SingleSender(coordination, {
            scheduler: o.scheduler,
            storageKey: o.storageKey,
            storage,
            gate,
            queue,
            delivery,
            counters,
            events$: this.#events,
            connectionState$: connection.state$,
            limits: () => ({ clientId: this.#clientId, ...this.#limits }),
            init: () => this.#init(),
            start: () => this.#start(),
            emit: this.#emit,
            inbound: this.#inbound,
            commit: (message) => this.#commitHere(message),
          })),
        (error: unknown) => {
          throw this.#chunkError('multi-tab', error);
        },
      ));
    // Reported as an `error` event; connect, send and commit reject with it.
    loading?.catch(() => undefined);

    // While tabs share the queue: disconnected until the single sender is there, then its state.
    const state$ = loading
      ? from(loading).pipe(
          switchMap((sender) => sender.state$),
          startWith(ConnectionState.DISCONNECTED),
          catchError(() => EMPTY),
        )
      : connection.state$;
    this.state$ = defer(() => this.#sender?.state$ ?? state$).pipe(distinctUntilChanged());
    this.state$
      .pipe(pairwise())
      .subscribe(([previous, current]) => this.#fire('stateChange', { previous, current }));
    this.stats$ = merge(this.#events, queue.size$).pipe(
      auditTime(100, o.scheduler),
      startWith(null),
      map(() => this.getStats()),
    );
  }

  /** In a tab that does not send (see `isLeader`), the sending tab's state. */
  get state(): ConnectionState {
    return this.#sender?.state ?? this.#connection.state;
  }

  /**
   * False while another tab holds this `storageKey`'s lock and sends for it
   * (`singleSender`); this tab's messages then travel through that tab.
   */
  get isLeader(): boolean {
    return this.#sender ? this.#sender.isLeader : !this.#senderLoading;
  }

  /** The identity the server dedupes by; known once `connect()` or a send has restored the queue. */
  get clientId(): string | undefined {
    return this.#clientId ?? this.#sender?.limits?.clientId;
  }

  /** False when accepted messages live in memory only. */
  get durable(): boolean {
    return this.#queue.durable;
  }

  /**
   * Restores the persisted queue, then connects; resolves once the handshake
   * is done and the positions of reliable streams it started are persisted.
   */
  async connect(): Promise<void> {
    if (this.#closed) throw closedError();
    if (this.#streamsFailed) this.#streamsLoading = undefined;
    this.#streamsFailed = false;
    if (this.#senderLoading) await this.#senderLoading;
    if (!this.isLeader) return this.#sender!.connect();
    await this.#init();
    this.#ready = true;
    await this.#start();
    await this.#streams!.settled(); // a first subscription is durable before connect() resolves
  }

  /**
   * Closes cleanly; no reconnection after it. Accepted messages stay queued (and
   * persisted) for a later `connect()`: their results stay pending until they are
   * delivered then, or their TTL runs out (`messageExpired`), or `close()` settles them.
   */
  async disconnect(): Promise<void> {
    // A connect() waiting for the single sender's chunk asks it for the lock first: then this withdraws that.
    if (this.#senderLoading) await this.#senderLoading.catch(() => undefined);
    this.#sender?.disconnect();
    await this.#connection.stop();
  }

  /**
   * Accepts a message (queued, persisted when persistence is on) and resolves
   * with how its delivery ended. Rejects only for invalid input.
   */
  sendWithAcknowledgement<R = unknown>(
    message: OutboundMessage,
    options: SendOptions = NO_OPTIONS,
  ): Promise<DeliveryResult<R>> {
    const result = this.#acceptNow(message, options) ?? this.#accept(message, options, false).then(resultOf);
    return result as Promise<DeliveryResult<R>>;
  }

  /** Resolves once the message is accepted (and persisted); `result` settles when its delivery ends. */
  send(message: OutboundMessage, options: SendOptions = NO_OPTIONS): Promise<Receipt> {
    return this.#accept(message, options, true);
  }

  /** Cold observable form of `sendWithAcknowledgement`: accepts on subscribe, emits the result, completes. */
  send$<R = unknown>(message: OutboundMessage, options: SendOptions = {}): Observable<DeliveryResult<R>> {
    return defer(() => this.sendWithAcknowledgement<R>(message, options));
  }

  /**
   * `ackMode: 'manual'`: app code is done with `message` (a reliable one from
   * `messages$`) and every earlier message of its stream. Persists the cursor
   * (resolves once durable) and acks it to the server. Messages not committed
   * when the process dies come again, marked `redelivered: true`. The
   * leading tab owns the cursor: a follower's call is forwarded to it and
   * resolves once the leader's cursor is durable (rejects if the leader
   * changes first).
   */
  commit(message: InboundMessage): Promise<void> {
    // The single sender commits here as the leader, or forwards to the leading tab.
    if (this.#sender) return this.#sender.commit(message);
    if (this.#senderLoading) return this.#senderLoading.then((sender) => sender.commit(message));
    return this.#commitHere(message);
  }

  getStats(): ClientStats {
    return this.#counters.snapshot({
      state: this.state,
      clientId: this.#clientId,
      queueSize: this.#queue.size + (this.#sender?.pendingCount ?? 0),
      inFlight: this.#delivery.inFlight,
      durable: this.durable,
    });
  }

  /**
   * Disconnects and releases timers and storage handles; the client cannot be
   * used afterwards (connect and send reject). Every send still pending settles
   * now as failed with a `ConnectionError` and a `messageFailed` event; with
   * persistence on, its message stays in storage for the next client on the
   * same `storageKey`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.disconnect();
    this.#delivery.abandon(this.#closedBeforeAck);
    this.#sender?.abandon(this.#closedBeforeAck);
    this.#sender?.detach();
    // No single sender (its chunk failed to load): a queue that never restored closes at once all the same.
    if (!this.#sender) this.#gate?.open(false);
    this.#stopOnline();
    this.#delivery.dispose();
    const streams = await this.#streamsLoading?.catch(() => undefined);
    await streams?.close();
    await this.#queue.close();
    this.#sender?.close();
    await this.#ownedStorage?.close?.();
    this.#events.complete();
    this.#messages.complete();
  }

  #init(): Promise<void> {
    return (this.#initialized ??= (async () => {
      const queue = this.#queue;
      // The cursors restore beside the queue (a failed load is retried by the connect that needs it).
      const cursors = this.#loadStreams().then(
        (streams) => streams.restore(),
        () => undefined,
      );
      try {
        await queue.ready;
      } catch {
        // Storage is unavailable (storageFallback 'none'): reported as an error event, and every send
        // rejects with it. The link still comes up for what the server pushes.
        this.#clientId = this.#options.clientId ?? newClientId();
        await cursors;
        return;
      }
      await cursors;
      const storage = this.#options.storage ?? this.#ownedStorage;
      const lost = storage?.recoveryError;
      if (lost) {
        this.#counters.storageRecordsLost = storage!.damage?.records ?? 1;
        this.#error(lost);
      }
      this.#clientId = await knownClientId(queue, this.#options.clientId, lost, this.#error);
      if (!this.#clientId) await queue.setMeta('clientId', (this.#clientId = newClientId()));
      this.#delivery.restored();
    })());
  }

  /** `throwIfRefused`: `send` rejects where `sendWithAcknowledgement` resolves with a failed result. */
  async #accept(message: OutboundMessage, options: SendOptions, throwIfRefused: boolean): Promise<Receipt> {
    if (this.#closed) throw closedError();
    if (this.#senderLoading) await this.#senderLoading;
    const o = this.#options;
    const ttl = options.ttl ?? o.defaultTTL;
    const payloadJson = validateOutbound(message, options, ttl, this.#sender?.limits ?? this.#limits);
    if (!o.enableQueue && this.state !== 'connected') {
      const error = new ConnectionError('Not connected, and enableQueue is false: not accepted.');
      if (throwIfRefused) throw error;
      return refused(error);
    }
    const priority = options.priority ?? o.defaultPriority;
    // A tab that does not send hands the message to the one that does, through the shared store.
    const follower = this.isLeader ? undefined : this.#sender;
    if (!follower) {
      await this.#init();
      this.#ready = true;
    }
    let queued;
    // The caller is registered before the queue has the message: the queue may evict it before
    // this function resumes (a same-tick burst), and that ending must reach its promise.
    const id = createMessageId();
    let resolve!: (result: DeliveryResult) => void;
    const result = new Promise<DeliveryResult>((r) => (resolve = r));
    try {
      if (follower) return await follower.accept(message, { priority, ttl });
      this.#delivery.expect(id, resolve, options, payloadJson);
      queued = await this.#queue.enqueue(message, { id, priority, ttl });
    } catch (error) {
      this.#delivery.forget(id);
      return this.#refusal(error, throwIfRefused);
    }
    const { id: messageId, type } = queued;
    this.#fire('messageQueued', { messageId, type, priority: queued.priority });
    this.#delivery.accepted(queued, undefined);
    // Accepted while close() ran: it settles at once, as the others did.
    if (this.#closed) this.#delivery.abandon(this.#closedBeforeAck);
    return { messageId, result };
  }

  /**
   * `sendWithAcknowledgement` in the common case, in one synchronous step and one
   * promise: the queue is restored, this tab sends, and no storage write is awaited
   * (persistence off). Undefined where `#accept` must run.
   */
  #acceptNow(message: OutboundMessage, options: SendOptions): Promise<DeliveryResult> | undefined {
    const o = this.#options;
    if (!this.#ready || this.#closed || o.enablePersistence || (!o.enableQueue && this.state !== 'connected'))
      return undefined;
    const ttl = options.ttl ?? o.defaultTTL;
    const priority = options.priority ?? o.defaultPriority;
    const delivery = this.#delivery;
    const id = createMessageId();
    let queued;
    try {
      const payloadJson = validateOutbound(message, options, ttl, this.#limits);
      const result = new Promise<DeliveryResult>(capture);
      delivery.expect(id, captured!, options, payloadJson);
      try {
        const enqueue = this.#enqueueOptions;
        enqueue.id = id;
        enqueue.priority = priority;
        enqueue.ttl = ttl;
        queued = this.#queue.enqueueNow(message, enqueue);
      } catch (error) {
        delivery.forget(id);
        return this.#refusal(error, false).result;
      }
      // Per message: the event is built only when someone watches events$ or listens for it.
      if (this.#watched('messageQueued'))
        this.#fire('messageQueued', { messageId: id, type: queued.type, priority: queued.priority });
      delivery.accepted(queued, undefined);
      return result;
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** A send the queue refused: the caller's rejection, or (QUEUE_FULL, `!throwIfRefused`) a failed result. */
  #refusal(error: unknown, throwIfRefused: boolean): Receipt {
    // The queue closed under a send that raced close(): say what happened.
    if (this.#closed) throw closedError();
    // A send refused by storage is the caller's rejection and, for whoever watches, an `error` event.
    if (error instanceof StorageError) this.#error(error);
    if (error instanceof QueueFullError && !throwIfRefused) {
      this.#counters.failed(false);
      this.#fire('messageFailed', { messageId: '', attempts: 0, error });
      return refused(error);
    }
    throw error;
  }

  #onEnvelope(envelope: Envelope): void {
    switch (envelope.type) {
      case MessageType.ACK:
        return this.#delivery.handleAck(envelope);
      case MessageType.NACK:
        // A nack without an id refuses the session, not a message.
        if (envelope.id === undefined)
          return this.#error(new ReliableWebSocketError(envelope.code, envelope.message));
        return this.#delivery.handleNack(envelope as typeof envelope & { id: string });
      case MessageType.DATA:
      case MessageType.COMMAND: {
        this.#counters.messagesReceived++;
        const inbound: InboundMessage = { type: envelope.name, payload: envelope.payload, id: envelope.id };
        this.#inbound(inbound);
        return this.#sender?.relay(inbound);
      }
      case MessageType.RECONNECT:
        return this.#connection.closeSocket(1012, 'server asked to reconnect');
      case StreamFrameType.MESSAGE:
      case StreamFrameType.RESET:
        // Only a hello that offered streams (the module was loaded) gets stream frames.
        return this.#streams?.frame(envelope);
    }
  }

  /** Opens the connection once the streams module is loaded and its cursors restored (the hello offers them). */
  async #start(): Promise<void> {
    const streams = await this.#loadStreams();
    await streams.restore();
    await this.#connection.start();
  }

  /** Loads the reliable-streams chunk once; a failed load is reported once, and the next `connect()` tries again. */
  #loadStreams(): Promise<InboundStreams> {
    return (this.#streamsLoading ??= import('./inbound-streams').then(
      ({ InboundStreams }) =>
        (this.#streams = new InboundStreams({
          storage: this.#storage,
          storageKey: this.#options.storageKey,
          persist: this.#options.enablePersistence,
          ackMode: this.#options.ackMode,
          scheduler: this.#options.scheduler,
          write: (frame) => this.#writer.write(frame),
          deliver: (message) => {
            this.#inbound(message);
            this.#sender?.relay(message);
          },
          gap: (gap) => this.#fire('inboundGap', gap),
          error: this.#error,
          counters: this.#counters,
        })),
      (error: unknown) => {
        this.#streamsFailed = true;
        throw this.#chunkError('reliable-streams', error);
      },
    ));
  }

  /** `commit()` in the tab that holds the cursors. */
  #commitHere(message: Pick<InboundMessage, 'stream' | 'seq' | 'epoch'>): Promise<void> {
    return this.#streams ? this.#streams.commit(message) : this.#loadStreams().then((s) => s.commit(message));
  }

  /** A lazy chunk that did not load (offline, a stale deployment): reported, and what needed it rejects. */
  #chunkError(chunk: string, cause: unknown): ConnectionError {
    const error = new ConnectionError(`Could not load the ${chunk} code of rx-reliable-ws.`, undefined, {
      cause,
    });
    this.#error(error);
    return error;
  }

  readonly #inbound = (message: InboundMessage): void => {
    this.#messages.next(message);
    this.#fire('message', message);
  };

  /** Someone watches `events$` or listens for `type`: a per-message event is built only then. */
  readonly #watched = (type: ClientEventType): boolean => this.#events.observed || this.listens(type);

  readonly #error = (error: Error): void => this.#fire('error', { error });

  readonly #closedBeforeAck = (messageId: string): ConnectionError => {
    const { enablePersistence, storageKey } = this.#options;
    return new ConnectionError(
      enablePersistence
        ? `Client closed before ${messageId} was acked; it stays stored for the next client on storageKey '${storageKey}'.`
        : `Client closed before ${messageId} was acked; it was in memory only.`,
    );
  };

  /** Per message: the DOM event is built only when someone listens for its type. */
  readonly #emit = (event: ClientEvent): void => {
    if (this.#events.observed) this.#events.next(event);
    this.dispatch(event);
  };

  #fire<K extends ClientEventType>(type: K, detail: ClientEventMap[K]): void {
    this.#emit({ type, detail } as ClientEvent);
  }
}
