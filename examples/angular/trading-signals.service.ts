import { DestroyRef, Injectable, NgZone, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { filter, map, share, type Observable } from 'rxjs';
import {
  ConnectionState,
  MessagePriority,
  ReliableWebSocketClient,
  TRADE_SIGNAL,
  enterZone,
  validateTradeSignal,
  zoneSchedulers,
  type DeliveryResult,
  type InboundMessage,
  type TradeSignal,
} from 'rx-reliable-ws';
import { TRADING_SIGNALS_CONFIG } from './trading-signals.config';

/** What the server pushes about an order (the app's own schema). */
export interface OrderUpdate {
  orderId: string;
  symbol: string;
  status: 'accepted' | 'filled' | 'rejected';
  filledVolume?: number;
}

/**
 * Trade signals for the whole app: one reliable connection (one per browser,
 * across tabs), persisted in IndexedDB, with every timer outside the zone so
 * the app becomes stable (SSR hydration, `whenStable`, tests) while
 * heartbeats run. Streams come back into the zone for the view.
 */
@Injectable({ providedIn: 'root' })
export class TradingSignalsService {
  private readonly zone = inject(NgZone);
  private readonly config = inject(TRADING_SIGNALS_CONFIG);
  private readonly client = new ReliableWebSocketClient(this.config.url, {
    apiKey: this.config.apiKey,
    storageKey: this.config.storageKey ?? 'trading-signals',
    scheduler: zoneSchedulers(this.zone).outside,
  });

  /** Connection state, inside the zone; in a tab that does not send, the sending tab's state. */
  readonly state$: Observable<ConnectionState> = this.client.state$.pipe(enterZone(this.zone));
  /** Order updates pushed by the server, inside the zone. */
  readonly orderUpdates$: Observable<OrderUpdate> = this.client.messages$.pipe(
    filter((m: InboundMessage) => m.type === 'ORDER_UPDATE'),
    map((m) => m.payload as OrderUpdate),
    enterZone(this.zone),
    share(),
  );

  /** The same, as signals for templates. */
  readonly state = toSignal(this.state$, { initialValue: ConnectionState.DISCONNECTED });
  readonly connected = toSignal(this.state$.pipe(map((s) => s === ConnectionState.CONNECTED)), {
    initialValue: false,
  });
  readonly lastOrderUpdate = toSignal(this.orderUpdates$);

  constructor() {
    // Outside the zone: the socket's callbacks then never trigger change detection by themselves.
    this.zone.runOutsideAngular(() =>
      this.client.connect().catch((error: unknown) => console.error('trading connection', error)),
    );
    inject(DestroyRef).onDestroy(() => void this.client.close());
  }

  /**
   * Validated, CRITICAL, persisted before it resolves the first time, delivered
   * effectively once. Resolves with the ack (or a typed error in `error`);
   * rejects only with a ValidationError for a malformed signal.
   */
  async sendTradeSignal(signal: TradeSignal): Promise<DeliveryResult> {
    validateTradeSignal(signal);
    return this.client.sendWithAcknowledgement(
      { type: TRADE_SIGNAL, payload: { ...signal } },
      { priority: MessagePriority.CRITICAL },
    );
  }
}
