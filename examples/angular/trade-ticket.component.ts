import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { TradingSignalsService } from './trading-signals.service';

/** A minimal trade ticket: the connection banner, a BUY button, the last order update. */
@Component({
  selector: 'app-trade-ticket',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (!trading.connected()) {
      <p class="banner">
        Reconnecting ({{ trading.state() }}): orders are queued and sent once the link is back.
      </p>
    }
    <button (click)="buy()" [disabled]="sending()">Buy 0.1 EURUSD</button>
    @if (outcome(); as o) {
      <p>{{ o }}</p>
    }
    @if (trading.lastOrderUpdate(); as u) {
      <p>Order {{ u.orderId }}: {{ u.status }}</p>
    }
  `,
})
export class TradeTicketComponent {
  protected readonly trading = inject(TradingSignalsService);
  protected readonly sending = signal(false);
  protected readonly outcome = signal<string | undefined>(undefined);

  protected async buy(): Promise<void> {
    this.sending.set(true);
    try {
      const result = await this.trading.sendTradeSignal({
        symbol: 'EURUSD',
        action: 'BUY',
        volume: 0.1,
        stopLoss: 1.08,
        takeProfit: 1.12,
      });
      this.outcome.set(result.acknowledged ? 'Order accepted' : `Order failed: ${result.error?.message}`);
    } finally {
      this.sending.set(false);
    }
  }
}
