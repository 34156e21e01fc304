import { BehaviorSubject, firstValueFrom, Subject } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import { ConnectionState } from '../protocol/enums';
import type { OutboundMessage } from '../protocol/envelope';
import {
  ConnectionError,
  MessageExpiredError,
  QueueFullError,
  ValidationError,
  type ReliableWebSocketError,
} from '../protocol/errors';
import type { MessageQueue } from '../queue/message-queue';
import { QueueStore } from '../queue/queue-store';
import { createMessageId, type QueuedMessage } from '../queue/queued-message';
import type { StorageAdapter } from '../storage/storage-adapter';
import type { ClientEvent, InboundMessage } from './client-events';
import type { ClientStatsCounter } from './client-stats';
import type { Delivery } from './delivery';
import type { DeliveryResult } from './delivery-result';
import type { LeaderGatedStorage } from './leader-gated-storage';
import type { TabCoordination, TabMessage, TabSettlement } from './tab-coordination';
import { reviveError, transferError } from './transferable-error';

type Limits = { clientId: string | undefined; dedupeTtl: number; maxPayload: number };

/** The events that end a message: the only ones whose detail has `attempts`. */
type Outcome = Extract<ClientEvent, { detail: { attempts: number } }>;

/** What the client lends the single sender. */
export interface SingleSenderHost {
  scheduler: SchedulerLike;
  storageKey: string;
  /** Durable storage, ungated: a tab that does not lead still persists its messages here. */
  storage: StorageAdapter;
  gate: LeaderGatedStorage;
  queue: MessageQueue;
  delivery: Delivery;
  counters: ClientStatsCounter;
  events$: Observable<ClientEvent>;
  connectionState$: BehaviorSubject<ConnectionState>;
  limits(): Limits;
  /** Restores the queue (reads go through once this tab leads). */
  init(): Promise<void>;
  /** Opens the connection: `connect()` as a leader. */
  start(): Promise<void>;
  /** Also onto `events$`, where the single sender hears the outcomes it reports. */
  emit(event: ClientEvent): void;
  inbound(message: InboundMessage): void;
  /** Commits a reliable message as the leader (the client's InboundStreams). */
  commit(message: Pick<InboundMessage, 'stream' | 'seq' | 'epoch'>): Promise<void>;
}

/**
 * One sender per `storageKey` across the tabs of an origin. The tab holding
 * the lock connects and drains the shared queue; every other tab persists
 * what it accepts into the same store and announces it, the leader adopts it,
 * and reports each outcome back, which resolves the caller in the tab that
 * accepted it. When the leader's tab closes, the next tab in line takes the
 * lock, restores everything persisted by anyone, and connects.
 */
export class SingleSender {
  /** The leader's connection state, mirrored while this tab follows; this tab's own once it leads. */
  readonly #state = new BehaviorSubject<ConnectionState>(ConnectionState.DISCONNECTED);
  readonly state$: Observable<ConnectionState> = this.#state;
  /** Ends a pending `connect()`: null once a connection sends for this tab (its own or the leader's), or the error. */
  readonly #connected = new Subject<Error | null>();
  /** Callers in this tab waiting for the outcome of a message another tab sends. */
  readonly #pending = new Map<string, (result: DeliveryResult) => void>();
  /** Commits this tab asked the leader for, by ref, until it answers. */
  readonly #commits = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  readonly #coordination: TabCoordination;
  readonly #host: SingleSenderHost;
  readonly #store: QueueStore;
  #leaderLimits: Limits | undefined;
  #leading = false;
  #wantConnected = false;
  #peers = false;
  #seq = 0;

  constructor(coordination: TabCoordination, host: SingleSenderHost) {
    this.#coordination = coordination;
    this.#host = host;
    this.#store = new QueueStore(host.storage, host.storageKey);
    coordination.onMessage((message) => this.#onMessage(message));
    // Neither subscription is ended: the client completes events$ when it closes, and its
    // connection is stopped by then; what a closed channel is asked to post goes nowhere.
    host.events$.subscribe((event) => this.#onEvent(event));
    coordination.post({ kind: 'hello' });
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  get state(): ConnectionState {
    return this.#state.value;
  }

  /** The leader's validation limits and identity while this tab follows. */
  get limits(): Limits | undefined {
    return this.#leading ? undefined : this.#leaderLimits;
  }

  /** Messages this tab accepted that no queue of its own holds yet. */
  get pendingCount(): number {
    return this.#leading ? 0 : this.#pending.size;
  }

  /** Joins the line for the lock; resolves once a connection sends for this tab (its own or the leader's). */
  connect(): Promise<void> {
    this.#wantConnected = true;
    this.#coordination.requestLeadership(() => void this.#lead());
    // The leader answers with its state, which settles this call unless this tab leads first.
    this.#coordination.post({ kind: 'hello' });
    return firstValueFrom(this.#connected).then((error) => {
      if (error) throw error;
    });
  }

  /** A tab that follows leaves the line; a leader keeps the lock (its queue is the live one) until `close()`. */
  disconnect(): void {
    this.#wantConnected = false;
    if (this.#leading) return;
    this.#coordination.cancelRequest();
    this.#connected.next(new ConnectionError('disconnect() was called before connecting.'));
  }

  /** Persists a message accepted while another tab sends, and hands it over. */
  async accept(
    { type, payload }: OutboundMessage,
    { priority, ttl }: { priority: number; ttl: number },
  ): Promise<{ messageId: string; result: Promise<DeliveryResult> }> {
    const now = this.#host.scheduler.now();
    const id = createMessageId();
    // seq orders this tab's messages among themselves (FIFO) and roughly by time among tabs.
    const queued = {
      id,
      type,
      payload,
      priority,
      createdAt: now,
      expiresAt: now + ttl,
      seq: now * 1000 + (this.#seq++ % 1000),
    };
    await this.#store.write(queued);
    this.#coordination.post({ kind: 'queued', message: queued });
    this.#host.emit({ type: 'messageQueued', detail: { messageId: id, type, priority } });
    // The outcome comes back as a message: never before this synchronous code is done.
    return { messageId: id, result: new Promise((resolve) => this.#pending.set(id, resolve)) };
  }

  /**
   * `ackMode: 'manual'` in a tab that follows: the leader owns the cursor, so it commits
   * `message` and answers; resolves once the leader's cursor is durable.
   */
  commit(message: Pick<InboundMessage, 'stream' | 'seq' | 'epoch'>): Promise<void> {
    if (this.#leading) return this.#host.commit(message);
    const ref = createMessageId();
    const { stream, seq, epoch } = message;
    return new Promise<void>((resolve, reject) => {
      this.#commits.set(ref, { resolve, reject });
      this.#coordination.post({ kind: 'commit', ref, message: { stream, seq, epoch } });
    });
  }

  /** The server pushed a message: tabs without a socket get it too. */
  relay(message: InboundMessage): void {
    if (this.#peers) this.#coordination.post({ kind: 'inbound', message });
  }

  /** First half of the client's close: stop taking part, let a queue that never restored close at once. */
  detach(): void {
    this.disconnect();
    this.#host.gate.open(false);
  }

  /**
   * The client is closing: this tab's callers still waiting settle now as
   * failed (`messageFailed`); their messages stay in the shared store, which
   * the sending tab keeps draining.
   */
  abandon(error: (messageId: string) => ReliableWebSocketError): void {
    for (const messageId of [...this.#pending.keys()])
      this.#report({ type: 'messageFailed', detail: { messageId, attempts: 0, error: error(messageId) } });
    this.#failCommits('The client was closed before the leading tab committed');
  }

  /** Commits still waiting for a leader that will not answer them: uncommitted messages come again (redelivered). */
  #failCommits(why: string): void {
    for (const { reject } of this.#commits.values())
      reject(new ConnectionError(`${why}; uncommitted messages come again, marked redelivered.`));
    this.#commits.clear();
  }

  /** Second half, once the queue's writes are done: release the lock, so the next tab restores a settled store. */
  close(): void {
    this.#coordination.close();
  }

  async #lead(): Promise<void> {
    const host = this.#host;
    this.#leading = true;
    // The leader that was asked is gone (this tab took its lock): it owns no cursor any more.
    this.#failCommits('The leading tab changed before it committed');
    host.connectionState$.subscribe((state) => {
      this.#state.next(state);
      this.#postState();
    });
    // What this tab persisted before it led must be in the store the queue restores.
    await this.#store.idle();
    host.gate.open(true);
    try {
      await host.init();
      await this.#settleVanished();
      if (this.#wantConnected) await host.start();
      this.#connected.next(null);
    } catch (error) {
      this.#connected.next(error as Error);
    }
  }

  #onMessage(message: TabMessage): void {
    // Another tab is there: outcomes and server pushes are worth posting from now on.
    this.#peers = true;
    const leading = this.#leading;
    switch (message.kind) {
      case 'hello':
        if (leading) this.#postState();
        return;
      case 'queued':
        if (leading) void this.#adopt(message.message);
        return;
      case 'state': {
        if (leading) return;
        const { state } = message;
        this.#leaderLimits = message;
        this.#state.next(state);
        if (state === ConnectionState.CONNECTED) this.#connected.next(null);
        else if (state === ConnectionState.ERROR)
          this.#connected.next(
            new ConnectionError('The leading tab gave up connecting; call connect() again.'),
          );
        return;
      }
      case 'commit': {
        if (!leading) return;
        const { ref } = message;
        // A call, not a handler of this message: a malformed commit from another tab rejects, it does not throw here.
        Promise.resolve(message.message)
          .then((committing) => this.#host.commit(committing))
          .then(
            () => this.#coordination.post({ kind: 'committed', ref }),
            (error: unknown) =>
              this.#coordination.post({
                kind: 'committed',
                ref,
                error: transferError(error instanceof Error ? error : new Error(String(error))),
              }),
          );
        return;
      }
      case 'committed': {
        const waiting = this.#commits.get(message.ref);
        if (!waiting) return;
        this.#commits.delete(message.ref);
        const { error } = message;
        if (!error) waiting.resolve();
        else waiting.reject(error.name === 'TypeError' ? new TypeError(error.message) : reviveError(error));
        return;
      }
      case 'inbound':
        if (leading) return;
        this.#host.counters.messagesReceived++;
        this.#host.inbound(message.message);
        return;
      case 'settled': {
        // Only the tab that accepted the message waits for it; its caller is resolved by #onEvent.
        const { type, detail } = message;
        if (!this.#pending.has(detail.messageId)) return;
        const error = detail.error && reviveError(detail.error);
        this.#report({ type, detail: error ? { ...detail, error } : detail } as Outcome);
      }
    }
  }

  #postState(): void {
    this.#coordination.post({ kind: 'state', state: this.#state.value, ...this.#host.limits() });
  }

  /**
   * Takes over a message another tab persisted. One that arrives while this
   * tab takes over is held already (restored from the store): enqueue refuses it.
   */
  async #adopt(message: QueuedMessage): Promise<void> {
    const { id, expiresAt } = message;
    const host = this.#host;
    await host.init();
    const ttl = expiresAt - host.scheduler.now();
    try {
      if (!(ttl > 0)) throw new MessageExpiredError(id, expiresAt - message.createdAt);
      host.delivery.accepted(
        await host.queue.enqueue(message, { id, priority: message.priority, ttl }),
        undefined,
      );
    } catch (error) {
      if (error instanceof ValidationError) return; // held already
      const expired = error instanceof MessageExpiredError;
      if (expired || error instanceof QueueFullError) {
        await this.#store.delete(id).catch(() => undefined);
        this.#report({
          type: expired ? 'messageExpired' : 'messageFailed',
          detail: { messageId: id, attempts: 0, error },
        });
      } else host.emit({ type: 'error', detail: { error: error as Error } });
    }
  }

  /**
   * Every outcome in this tab resolves the caller waiting here, if any: its own
   * delivery's as a leader, those #report replays as a follower. The leader
   * also tells the tab that accepted the message.
   */
  #onEvent(event: ClientEvent): void {
    const { type, detail } = event;
    if (!('attempts' in detail)) return; // not an outcome
    const pending = this.#pending;
    pending.get(detail.messageId)?.({ acknowledged: type === 'messageAcknowledged', ...detail });
    pending.delete(detail.messageId);
    if (this.#leading && this.#peers) {
      const error = 'error' in detail && transferError(detail.error);
      this.#coordination.post({
        kind: 'settled',
        type,
        detail: error ? { ...detail, error } : detail,
      } as TabSettlement);
    }
  }

  /** Counts and emits an outcome this tab's own delivery did not produce (#onEvent hears it). */
  #report(event: Outcome): void {
    const { counters } = this.#host;
    const { detail } = event;
    if (!('error' in detail)) counters.acknowledged(detail.latency);
    else if (event.type === 'messageExpired') counters.expired();
    else counters.failed(detail.error instanceof QueueFullError && detail.error.evicted);
    this.#host.emit(event);
  }

  /**
   * After taking over: a message this tab accepted that is no longer stored
   * was settled by the previous leader, whose report never arrived (its tab
   * died in between). Its outcome is unknown; the caller must not wait forever.
   */
  async #settleVanished(): Promise<void> {
    // Nothing to reconcile: do not touch storage (it may be the blocked storage this tab falls back from).
    if (this.#pending.size === 0) return;
    const stored = await this.#host.storage.keys();
    for (const messageId of this.#pending.keys()) {
      if (stored.includes(`${this.#host.storageKey}:m:${messageId}`)) continue;
      const error = new ConnectionError(
        `Message ${messageId}: its outcome was lost with the tab that sent it (processed at most once).`,
      );
      this.#report({ type: 'messageFailed', detail: { messageId, attempts: 0, error } });
    }
  }
}
