// rx-reliable-ws: the isomorphic (browser) entry. Node resolves ./node.ts instead,
// which exports the same names with `ws` and the file journal as defaults.

// Client
export { ReliableWebSocketClient } from './client/reliable-websocket-client';
export { HeartbeatManager } from './client/heartbeat-manager';
export type { HeartbeatConfig, HeartbeatCallbacks } from './client/heartbeat-manager';
export type {
  ConnectionConfig,
  ReliableClientOptions,
  BackoffConfig,
  WebSocketLike,
  WebSocketConstructor,
} from './client/client-options';
export { DEFAULT_CLIENT_OPTIONS, DEFAULT_BACKOFF_CONFIG } from './client/client-options';
export type { DeliveryResult, SendOptions } from './client/delivery-result';
export type { ClientStats } from './client/client-stats';
export type {
  ClientEvent,
  ClientEventMap,
  ClientEventType,
  ClientDomEvent,
  InboundMessage,
  InboundGap,
} from './client/client-events';
export type { AckMode } from './client/inbound-streams';
export type { Platform } from './client/platform';
export type { StorageFallback } from './client/storage-fallback';
export type { TabCoordination, TabMessage, TabSettlement } from './client/tab-coordination';
export type { TransferredError } from './client/transferable-error';

// Angular (zone.js): the library's timers outside the zone, emissions back inside it
export { zoneSchedulers, enterZone, leaveZone } from './angular/index';
export type { ZoneSchedulers, NgZoneLike } from './angular/index';

// Trading
export { TradingClient, TRADE_SIGNAL } from './trading/trading-client';
export { validateTradeSignal } from './trading/trade-signal';
export type { TradeSignal, TradeAction } from './trading/trade-signal';
export { EXECUTION_REPORT, toExecution } from './trading/execution-report';
export type { ExecutionReport, ReceivedExecution } from './trading/execution-report';

// Operators
export * from './operators/index';

// Queue
export * from './queue/index';

// Storage
export * from './storage/index';

// Protocol and errors
export * from './protocol/index';
