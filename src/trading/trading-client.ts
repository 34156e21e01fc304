import { MessagePriority } from '../protocol/enums';
import { browserPlatform } from '../client/browser-platform';
import type { ReliableClientOptions } from '../client/client-options';
import type { ClientStats } from '../client/client-stats';
import type { DeliveryResult } from '../client/delivery-result';
import type { Platform } from '../client/platform';
import { ReliableWebSocketClient } from '../client/reliable-websocket-client';
import { validateTradeSignal, type TradeSignal } from './trade-signal';

export const TRADE_SIGNAL = 'TRADE_SIGNAL';

/**
 * The seed's trading client: trade signals go validated, CRITICAL, acknowledged
 * and effectively-once through a ReliableWebSocketClient.
 */
export class TradingClient {
  /** The underlying client, for its observables and events. */
  readonly client: ReliableWebSocketClient;

  constructor(
    url: string,
    apiKey: string,
    options: ReliableClientOptions = {},
    platform: Platform = browserPlatform,
  ) {
    if (!apiKey || typeof apiKey !== 'string') throw new TypeError('apiKey must be a non-empty string.');
    this.client = new ReliableWebSocketClient(url, { ...options, apiKey }, platform);
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
