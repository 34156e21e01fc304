import type { ConnectionState } from '../protocol/enums';
import type { ReliableWebSocketError } from '../protocol/errors';

/** What each event's `detail` holds. Event names are the seed's plus the design's additions. */
export interface ClientEventMap {
  open: { sessionId: string; clientId: string; resent: number };
  close: { code: number; reason: string };
  error: { error: Error };
  reconnecting: { attempt: number; delay: number; error: unknown };
  stateChange: { previous: ConnectionState; current: ConnectionState };
  message: InboundMessage;
  messageQueued: { messageId: string; type: string; priority: number };
  messageAcknowledged: { messageId: string; attempts: number; latency: number; response?: unknown };
  messageFailed: { messageId: string; attempts: number; error: ReliableWebSocketError };
  messageExpired: { messageId: string; attempts: number; error: ReliableWebSocketError };
  heartbeatTimeout: { missed: number };
}

export type ClientEventType = keyof ClientEventMap;

export type ClientEvent = { [K in ClientEventType]: { type: K; detail: ClientEventMap[K] } }[ClientEventType];

/** An application message pushed by the server. */
export interface InboundMessage<T = unknown> {
  type: string;
  payload: T;
  id: string | undefined;
}

/** The event object listeners receive: a DOM `CustomEvent` (global in browsers and Node >= 19). */
export type ClientDomEvent<K extends ClientEventType = ClientEventType> = Event & {
  readonly detail: ClientEventMap[K];
};
