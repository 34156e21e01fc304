import { InjectionToken } from '@angular/core';

/** Where the trading back end lives and how this user authenticates. */
export interface TradingSignalsConfig {
  /** `wss://` URL of the rx-reliable-ws server. */
  url: string;
  /** Called on every (re)connect, so a refreshed session token is picked up. */
  apiKey: () => string | Promise<string>;
  /** Names the persisted queue (IndexedDB) and the Web Lock shared by this app's tabs. */
  storageKey?: string;
}

export const TRADING_SIGNALS_CONFIG = new InjectionToken<TradingSignalsConfig>('TRADING_SIGNALS_CONFIG');
