import { BehaviorSubject, Observable, Subject, switchMap, type SchedulerLike, type Subscription } from 'rxjs';
import { ConnectionState } from '../protocol/enums';
import type { OutboundMessage } from '../protocol/envelope';
import { ConnectionError, MessageExpiredError, QueueFullError, ValidationError } from '../protocol/errors';
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
  limits(): { clientId: string | undefined; dedupeTtl: number; maxPayload: number };
  /** Restores the queue (reads go through once this tab leads). */
  init(): Promise<void>;
  /** Opens the connection: `connect()` as a leader. */
  start(): Promise<void>;
  emit(event: ClientEvent): void;
  inbound(message: InboundMessage): void;
}

const SETTLED_MEMORY = 10_000;

/**
 * One sender per `storageKey` across the tabs of an origin. The tab holding
 * the lock connects and drains the shared queue; every other tab persists
 * what it accepts into the same store and announces it, the leader adopts it,
 * and reports each outcome back, which resolves the caller in the tab that
 * accepted it. When the leader's tab closes, the next tab in line takes the
 * lock, restores everything persisted by anyone, and connects.
 */
export class SingleSender {
  readonly state$: Observable<ConnectionState>;
  private readonly remoteState = new BehaviorSubject<ConnectionState>(ConnectionState.DISCONNECTED);
  private readonly leading$ = new BehaviorSubject(false);
  private readonly started = new Subject<Error | null>();
  private readonly store: QueueStore;
  private readonly pending = new Map<string, (result: DeliveryResult) => void>();
  private readonly writes = new Set<Promise<unknown>>();
  private readonly settledIds = new Set<string>();
  private readonly subscriptions: Subscription[] = [];
  private remoteLimits: { clientId: string | undefined; dedupeTtl: number; maxPayload: number } | undefined;
  private wantConnected = false;
  private peers = false;
  private seq = 0;

  constructor(
    private readonly coordination: TabCoordination,
    private readonly host: SingleSenderHost,
  ) {
    this.store = new QueueStore(host.storage, host.storageKey);
    this.state$ = this.leading$.pipe(
      switchMap((leading) => (leading ? host.connectionState$ : this.remoteState)),
    );
    coordination.onMessage((message) => this.onMessage(message));
    this.subscriptions.push(host.events$.subscribe((event) => this.onLocalEvent(event)));
    coordination.post({ kind: 'hello' });
  }

  get isLeader(): boolean {
    return this.leading$.value;
  }

  get state(): ConnectionState {
    return this.isLeader ? this.host.connectionState$.value : this.remoteState.value;
  }

  /** The leader's validation limits and identity while this tab follows. */
  get limits(): { clientId: string | undefined; dedupeTtl: number; maxPayload: number } | undefined {
    return this.isLeader ? undefined : this.remoteLimits;
  }

  /** Messages this tab accepted that no queue of its own holds yet. */
  get pendingCount(): number {
    return this.isLeader ? 0 : this.pending.size;
  }

  /** Joins the line for the lock; resolves once a connection sends for this tab (its own or the leader's). */
  connect(): Promise<void> {
    this.wantConnected = true;
    this.coordination.requestLeadership(() => void this.lead());
    this.coordination.post({ kind: 'hello' });
    return new Promise<void>((resolve, reject) => {
      const done = (error: Error | null): void => {
        subscriptions.forEach((s) => s.unsubscribe());
        if (error) reject(error);
        else resolve();
      };
      const subscriptions = [
        this.started.subscribe(done),
        this.remoteState.subscribe((state) => {
          if (this.isLeader) return;
          if (state === ConnectionState.CONNECTED) done(null);
          else if (state === ConnectionState.ERROR) {
            done(
              new ConnectionError(
                'The tab that sends for this storageKey gave up connecting; call connect() to try again.',
              ),
            );
          }
        }),
      ];
    });
  }

  /** A tab that follows leaves the line; a leader keeps the lock (its queue is the live one) until `close()`. */
  disconnect(): void {
    this.wantConnected = false;
    if (this.isLeader) return;
    this.coordination.cancelRequest();
    this.started.next(new ConnectionError('disconnect() was called before the connection was established.'));
  }

  /** Persists a message accepted while another tab sends, and hands it over. */
  async accept(
    message: OutboundMessage,
    options: { priority: number; ttl: number },
  ): Promise<{ messageId: string; result: Promise<DeliveryResult> }> {
    const now = this.host.scheduler.now();
    const queued: QueuedMessage = {
      id: createMessageId(),
      type: message.type,
      payload: message.payload,
      priority: options.priority,
      createdAt: now,
      expiresAt: now + options.ttl,
      // Orders this tab's messages among themselves (FIFO) and roughly by time among tabs.
      seq: now * 1000 + (this.seq++ % 1000),
    };
    const write = this.store.write(queued);
    this.writes.add(write);
    const forget = (): boolean => this.writes.delete(write);
    write.then(forget, forget);
    await write;
    const result = new Promise<DeliveryResult>((resolve) => this.pending.set(queued.id, resolve));
    this.coordination.post({ kind: 'queued', message: queued });
    this.host.emit({
      type: 'messageQueued',
      detail: { messageId: queued.id, type: queued.type, priority: queued.priority },
    });
    return { messageId: queued.id, result };
  }

  /** The server pushed a message: tabs without a socket get it too. */
  relay(message: InboundMessage): void {
    if (this.peers) this.coordination.post({ kind: 'inbound', message });
  }

  /** First half of the client's close: stop taking part, let a queue that never restored close at once. */
  detach(): void {
    this.disconnect();
    this.host.gate.abandon();
    this.subscriptions.forEach((s) => s.unsubscribe());
    this.started.complete();
  }

  /** Second half, once the queue's writes are done: release the lock, so the next tab restores a settled store. */
  close(): void {
    this.coordination.close();
  }

  private async lead(): Promise<void> {
    this.leading$.next(true);
    // What this tab persisted before it led must be in the store the queue restores.
    await Promise.allSettled([...this.writes]);
    this.host.gate.open();
    this.subscriptions.push(this.host.connectionState$.subscribe(() => this.postState()));
    try {
      await this.host.init();
      await this.settleVanished();
      if (this.wantConnected) await this.host.start();
      this.started.next(null);
    } catch (error) {
      this.started.next(error as Error);
    }
  }

  private onMessage(message: TabMessage): void {
    switch (message.kind) {
      case 'hello':
        this.peers = true;
        if (this.isLeader) this.postState();
        return;
      case 'state':
        if (this.isLeader) return;
        this.remoteLimits = {
          clientId: message.clientId,
          dedupeTtl: message.dedupeTtl,
          maxPayload: message.maxPayload,
        };
        this.remoteState.next(message.state);
        return;
      case 'queued':
        this.peers = true;
        if (this.isLeader) void this.adopt(message.message);
        return;
      case 'settled':
        this.settleFromPeer(message);
        return;
      case 'inbound':
        if (this.isLeader) return;
        this.host.counters.messagesReceived++;
        this.host.inbound(message.message);
        return;
    }
  }

  private postState(): void {
    if (this.isLeader)
      this.coordination.post({
        kind: 'state',
        state: this.host.connectionState$.value,
        ...this.host.limits(),
      });
  }

  /** Takes over a message another tab persisted; a duplicate announcement finds it held and is ignored. */
  private async adopt(message: QueuedMessage): Promise<void> {
    if (this.settledIds.has(message.id)) return;
    await this.host.init();
    const ttl = message.expiresAt - this.host.scheduler.now();
    try {
      if (!(ttl > 0)) throw new MessageExpiredError(message.id, message.expiresAt - message.createdAt);
      const queued = await this.host.queue.enqueue(
        { type: message.type, payload: message.payload },
        { id: message.id, priority: message.priority, ttl },
      );
      this.host.delivery.accepted(queued, undefined);
    } catch (error) {
      if (error instanceof ValidationError) return; // already held (restored when this tab took over)
      const expired = error instanceof MessageExpiredError;
      if (!expired && !(error instanceof QueueFullError)) {
        this.host.emit({ type: 'error', detail: { error: error as Error } });
        return;
      }
      await this.store.delete(message.id).catch(() => undefined);
      if (expired) this.host.counters.expired();
      else this.host.counters.failed(false);
      const detail = { messageId: message.id, attempts: 0, error: error as Error };
      this.host.emit(expired ? { type: 'messageExpired', detail } : { type: 'messageFailed', detail });
    }
  }

  /** Leader: outcomes go to the tab that accepted the message (and resolve this tab's own earlier ones). */
  private onLocalEvent(event: ClientEvent): void {
    if (!this.isLeader) return;
    if (
      event.type !== 'messageAcknowledged' &&
      event.type !== 'messageFailed' &&
      event.type !== 'messageExpired'
    )
      return;
    const { messageId: id, attempts } = event.detail;
    this.rememberSettled(id);
    const resolve = this.pending.get(id);
    if (resolve) {
      this.pending.delete(id);
      resolve(
        event.type === 'messageAcknowledged'
          ? {
              acknowledged: true,
              messageId: id,
              attempts,
              latency: event.detail.latency,
              response: event.detail.response,
            }
          : { acknowledged: false, messageId: id, attempts, error: event.detail.error },
      );
    }
    if (!this.peers) return;
    const settlement: TabSettlement =
      event.type === 'messageAcknowledged'
        ? { event: event.type, id, attempts, latency: event.detail.latency, response: event.detail.response }
        : { event: event.type, id, attempts, error: transferError(event.detail.error) };
    this.coordination.post({ kind: 'settled', ...settlement });
  }

  private settleFromPeer(settlement: TabSettlement): void {
    const resolve = this.pending.get(settlement.id);
    if (!resolve) return;
    this.pending.delete(settlement.id);
    const { id: messageId, attempts, event } = settlement;
    if (event === 'messageAcknowledged') {
      const latency = settlement.latency ?? 0;
      this.host.counters.acknowledged(latency);
      this.host.emit({
        type: event,
        detail: { messageId, attempts, latency, response: settlement.response },
      });
      resolve({ acknowledged: true, messageId, attempts, latency, response: settlement.response });
      return;
    }
    const error = reviveError(settlement.error!);
    if (event === 'messageExpired') this.host.counters.expired();
    else this.host.counters.failed(error instanceof QueueFullError);
    this.host.emit({ type: event, detail: { messageId, attempts, error } });
    resolve({ acknowledged: false, messageId, attempts, error });
  }

  /**
   * After taking over: a message this tab accepted that is no longer stored
   * was settled by the previous leader, whose report never arrived (its tab
   * died in between). Its outcome is unknown; the caller must not wait forever.
   */
  private async settleVanished(): Promise<void> {
    if (this.pending.size === 0) return;
    const stored = new Set(await this.host.storage.keys());
    const prefix = `${this.host.storageKey}:m:`;
    for (const [messageId, resolve] of this.pending) {
      if (stored.has(prefix + messageId)) continue;
      this.pending.delete(messageId);
      const error = new ConnectionError(
        `Message ${messageId} was settled by the tab that sent it, which closed before reporting how; ` +
          'it was processed at most once. Check the server for its outcome.',
      );
      this.host.counters.failed(false);
      this.host.emit({ type: 'messageFailed', detail: { messageId, attempts: 0, error } });
      resolve({ acknowledged: false, messageId, attempts: 0, error });
    }
  }

  private rememberSettled(id: string): void {
    this.settledIds.add(id);
    if (this.settledIds.size > SETTLED_MEMORY) this.settledIds.delete(this.settledIds.values().next().value!);
  }
}
