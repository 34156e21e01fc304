import type { BackendHealth } from './server-backend';

/** Emitted on `server.events$`. Observe only what you need: `message` fires once per app message. */
export type ServerEvent =
  | {
      readonly type: 'connection';
      readonly clientId: string;
      readonly principal: string;
      readonly sessionId: string;
      readonly remoteAddress: string | undefined;
    }
  | {
      readonly type: 'disconnect';
      readonly clientId: string;
      readonly principal: string;
      readonly sessionId: string;
      readonly code: number;
      readonly reason: string;
    }
  | {
      readonly type: 'message';
      readonly clientId: string;
      readonly principal: string;
      readonly messageId: string;
      readonly name: string;
    }
  | {
      readonly type: 'duplicate';
      readonly clientId: string;
      readonly principal: string;
      readonly messageId: string;
      readonly name: string;
      /** True when the original was still being handled (the duplicate waited for it). */
      readonly inFlight: boolean;
    }
  | {
      /** The shared backend (`backend` option) was lost or came back: while unhealthy, messages are nacked DEDUPE_UNAVAILABLE. */
      readonly type: 'backend';
      readonly healthy: boolean;
      readonly detail: string;
    }
  | {
      /** A fault that was contained: socket error, failing authenticator or dedupe store, unserialisable response. */
      readonly type: 'error';
      readonly error: unknown;
      readonly clientId: string | undefined;
    };

export type ServerEventType = ServerEvent['type'];

/** A snapshot returned by `server.stats()`. Counters run since `listen()`. */
export interface ServerStats {
  /** Open sockets, authenticated or not. */
  connections: number;
  /** Authenticated sessions. */
  sessions: number;
  /** App messages (`data`/`command` envelopes) received, duplicates and refused ones included. */
  messagesReceived: number;
  /** Handler runs that finished (ack or nack). */
  messagesHandled: number;
  /** Messages answered from the dedupe store or by waiting on the original. */
  duplicates: number;
  /** Nacks sent, of every code. */
  nacks: number;
  /** Envelopes or frames rejected by the codec, plus binary frames. */
  protocolErrors: number;
  /** Handshakes refused for bad credentials. */
  authFailures: number;
  /** Messages refused with RATE_LIMITED. */
  rateLimited: number;
  /** Sockets terminated for not answering a ping. */
  heartbeatTimeouts: number;
  /** Sockets closed 4008 for not reading what was sent to them (`maxBufferedBytes`). */
  slowConsumers: number;
  /** Handlers (or dedupe store calls) still running. */
  inFlight: number;
  /** Entries in the dedupe store, when the store can tell (-1 otherwise). */
  dedupeEntries: number;
  /** Entries a durable dedupe store could not read back when it loaded (a damaged journal; reported as an `error` event). */
  dedupeRecordsLost: number;
  /** The shared backend's health, when the server has one (`backend` option). */
  backend?: BackendHealth;
}

/** The counters behind `ServerStats`; plain fields so the hot path costs an increment. */
export class ServerCounters {
  messagesReceived = 0;
  messagesHandled = 0;
  duplicates = 0;
  nacks = 0;
  protocolErrors = 0;
  authFailures = 0;
  rateLimited = 0;
  heartbeatTimeouts = 0;
  slowConsumers = 0;
}
