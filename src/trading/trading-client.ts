import { filter, map, type Observable } from 'rxjs';
import { MessagePriority } from '../protocol/enums';
import type { InboundGap } from '../client/client-events';
import { browserPlatform } from '../client/browser-platform';
import type { ReliableClientOptions } from '../client/client-options';
import type { ClientStats } from '../client/client-stats';
import type { DeliveryResult } from '../client/delivery-result';
import type { Platform } from '../client/platform';
import { ReliableWebSocketClient } from '../client/reliable-websocket-client';
import { toExecution, type ReceivedExecution } from './execution-report';
import { validateTradeSignal, type TradeSignal } from './trade-signal';

export const TRADE_SIGNAL = 'TRADE_SIGNAL';

/**
 * The seed's trading client: trade signals go validated, CRITICAL, acknowledged
 * and effectively-once through a ReliableWebSocketClient.
 */
export class TradingClient {
  /** The underlying client, for its observables and events. */
  readonly client: ReliableWebSocketClient;
  /**
   * Execution reports the server publishes on the account's stream: each
   * once, in order, across reconnects, reloads and restarts (a report that
   * may have reached app code before a crash comes again `redelivered: true`).
   */
  readonly executions$: Observable<ReceivedExecution>;
  /** The account's stream skipped reports (retention, server lost its log): reload orders and positions. */
  readonly executionGaps$: Observable<InboundGap>;

  constructor(
    url: string,
    apiKey: string,
    options: ReliableClientOptions = {},
    platform: Platform = browserPlatform,
  ) {
    if (!apiKey || typeof apiKey !== 'string') throw new TypeError('apiKey must be a non-empty string.');
    this.client = new ReliableWebSocketClient(url, { ...options, apiKey }, platform);
    this.executions$ = this.client.messages$.pipe(
      map(toExecution),
      filter((execution): execution is ReceivedExecution => execution !== undefined),
    );
    this.executionGaps$ = this.client.events$.pipe(
      filter((event) => event.type === 'inboundGap'),
      map((event) => event.detail as InboundGap),
    );
  }

  connect(): Promise<void> {
    return this.client.connect();
  }

  /**
   * Validates the signal (rejects with ValidationError, nothing sent), then
   * sends it as TRADE_SIGNAL with CRITICAL priority and resolves with the ack.
   */
  async sendTradeSignal<R = unknown>(
    signal: TradeSignal,
    options: { ttl?: number; timeout?: number } = {},
  ): Promise<DeliveryResult<R>> {
    validateTradeSignal(signal);
    return this.client.sendWithAcknowledgement<R>(
      { type: TRADE_SIGNAL, payload: { ...signal } },
      { ...options, priority: MessagePriority.CRITICAL },
    );
  }

  getStats(): ClientStats {
    return this.client.getStats();
  }

  disconnect(): Promise<void> {
    return this.client.disconnect();
  }

  /** Disconnects and releases storage handles. */
  close(): Promise<void> {
    return this.client.close();
  }
}
