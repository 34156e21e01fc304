import type { AckRun } from './ack-runs';
import type { MessageType } from './enums';
import type { StreamCursor, StreamEnvelope, StreamVerdict } from './stream-envelope';

/**
 * The JSON envelopes that travel over the socket. A frame is one envelope or an
 * array of them (batching); see docs/protocol.md.
 */

/** An application message: `name` is the app's type (`TRADE_SIGNAL`), `id` unique per message. */
export interface DataEnvelope {
  type: MessageType.DATA | MessageType.COMMAND;
  id: string;
  name: string;
  payload?: unknown;
}

/**
 * Acknowledges one message (`id`, optionally with the handler's `response`) or
 * many (`ids`, and `runs` for a client whose hello asked for ranged acks).
 */
export interface AckEnvelope {
  type: MessageType.ACK;
  id?: string;
  ids?: string[];
  /** Ranged acks: each run names `count` ids, `prefix + (first + k).toString(36)` (see ack-runs.ts). */
  runs?: AckRun[];
  response?: unknown;
}

/** Refuses a message (or, without `id`, a frame). Never retried by the client. */
export interface NackEnvelope {
  type: MessageType.NACK;
  id?: string;
  code: string;
  message: string;
  retryAfter?: number;
}

export interface HeartbeatEnvelope {
  type: MessageType.HEARTBEAT;
  ts: number;
}

/** Echoes the ping's `ts` so the sender can measure the round trip. */
export interface HeartbeatAckEnvelope {
  type: MessageType.HEARTBEAT_ACK;
  ts: number;
}

/** Client hello: the first frame on every connection. The API key travels here, never in the URL. */
export interface HelloEnvelope {
  type: MessageType.CONNECT;
  v: number;
  clientId: string;
  apiKey?: string;
  /**
   * Largest frame this client accepts, in bytes; the server cuts its frames
   * under it. Optional: without it the server assumes 1 MiB (v1 clients).
   */
  maxPayload?: number;
  /** Present when the client speaks reliable streams (section 14): its cursor per stream, maybe none. */
  streams?: StreamCursor[];
  /** Optional protocol features the client takes (`'ack-runs'`); a server ignores names it does not know. */
  features?: string[];
}

/** Server welcome: the handshake succeeded; the session's rules. */
export interface WelcomeEnvelope {
  type: MessageType.CONNECT;
  v: number;
  sessionId: string;
  /** How long the server remembers a message id (ms); the client refuses longer TTLs. */
  dedupeTtl: number;
  /** How often the server expects traffic (ms). */
  heartbeatInterval: number;
  /** Largest frame the server accepts, in bytes. */
  maxPayload: number;
  /** Only when the hello offered `streams`: the verdict for each stream of the session (section 14). */
  streams?: StreamVerdict[];
}

export interface DisconnectEnvelope {
  type: MessageType.DISCONNECT;
  code?: number;
  reason?: string;
}

/** Server asks the client to reconnect (for instance before a restart). */
export interface ReconnectEnvelope {
  type: MessageType.RECONNECT;
  retryAfter?: number;
}

/** A reply correlated to a message id, outside an ack. */
export interface ResponseEnvelope {
  type: MessageType.RESPONSE;
  id: string;
  payload?: unknown;
}

export type Envelope =
  | DataEnvelope
  | AckEnvelope
  | NackEnvelope
  | HeartbeatEnvelope
  | HeartbeatAckEnvelope
  | HelloEnvelope
  | WelcomeEnvelope
  | DisconnectEnvelope
  | ReconnectEnvelope
  | ResponseEnvelope
  | StreamEnvelope;

/** What an application sends: the seed's `{ type, payload }`. */
export interface OutboundMessage<T = unknown> {
  type: string;
  payload?: T;
}

export function isWelcome(envelope: HelloEnvelope | WelcomeEnvelope): envelope is WelcomeEnvelope {
  return typeof (envelope as WelcomeEnvelope).sessionId === 'string';
}
