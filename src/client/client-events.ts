import type { ConnectionState } from '../protocol/enums';
import type { ReliableWebSocketError } from '../protocol/errors';
import type { StreamGapReason } from '../protocol/stream-envelope';

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
  /** A reliable stream could not resume: messages were missed. Fired before any later message of the stream. */
  inboundGap: InboundGap;
}

export type ClientEventType = keyof ClientEventMap;

export type ClientEvent = { [K in ClientEventType]: { type: K; detail: ClientEventMap[K] } }[ClientEventType];

/** An application message pushed by the server. */
export interface InboundMessage<T = unknown> {
  type: string;
  payload: T;
  id: string | undefined;
  /** Reliable stream messages only (docs/protocol.md, section 14): the stream, its seq and epoch. */
  stream?: string;
  seq?: number;
  epoch?: string;
  /**
   * True only when this message may have reached app code before a crash
   * (handed over, the process died before the cursor was persisted).
   */
  redelivered?: boolean;
}

/**
 * Messages of `stream` were missed (`reason`, a stable code): re-fetch a
 * snapshot. The stream goes on after `seq` of `epoch`; `previousSeq` of
 * `previousEpoch` was the last message app code got (undefined: none known).
 * `SEQ_SKIPPED` is the client's own: the server skipped seqs without announcing it.
 */
export interface InboundGap {
  stream: string;
  /** A code of docs/protocol.md 14.2 (a newer server may send one not listed: still a gap). */
  reason: StreamGapReason | 'SEQ_SKIPPED' | (string & {});
  epoch: string;
  seq: number;
  previousEpoch: string | undefined;
  previousSeq: number | undefined;
}

/** The event object listeners receive: a DOM `CustomEvent` (global in browsers and Node >= 19). */
export type ClientDomEvent<K extends ClientEventType = ClientEventType> = Event & {
  readonly detail: ClientEventMap[K];
};
