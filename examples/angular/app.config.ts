import { type ApplicationConfig, provideZoneChangeDetection } from '@angular/core';
import { TRADING_SIGNALS_CONFIG } from './trading-signals.config';

declare const session: { token(): string };

export const appConfig: ApplicationConfig = {
  providers: [
    provideZoneChangeDetection({ eventCoalescing: true }),
    {
      provide: TRADING_SIGNALS_CONFIG,
      useValue: { url: 'wss://fx.example/ws', apiKey: () => session.token(), storageKey: 'fx-orders' },
    },
  ],
};
