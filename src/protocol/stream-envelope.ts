/**
 * Reliable server → client streams (docs/protocol.md, section 14). A stream is
 * an ordered log named by the server (`principal:<account>` by default); each
 * message has a `seq` rising by 1 and the `epoch` of the log's life. The client
 * keeps a cursor per stream and sends it in its hello; the server answers with
 * a verdict per stream in the welcome, replays what came after the cursor and
 * only then sends live messages.
 *
 * These types are not `MessageType` members (that enum is the seed's): a peer
 * that did not offer streams in its handshake never sees them.
 */
export const StreamFrameType = {
  /** S → C: one message of a stream. */
  MESSAGE: 'stream',
  /** C → S: cumulative ack, everything up to `seq` is safe with the client. */
  ACK: 'stream_ack',
  /** S → C: mid-session, the stream cannot continue where it was (`reason`); the next message follows `seq`. */
  RESET: 'stream_reset',
} as const;

/**
 * Why a stream cannot resume where the client's cursor says; stable codes.
 * - `WINDOW_EXCEEDED`: the messages after the cursor were trimmed (retention).
 * - `EPOCH_CHANGED`: the server's log for the stream is another life (it lost its history).
 * - `CURSOR_AHEAD`: the cursor is past the newest message of the same epoch (the log lost its tail).
 * - `UNKNOWN_STREAM`: the server no longer knows the stream's state.
 */
export type StreamGapReason = 'WINDOW_EXCEEDED' | 'EPOCH_CHANGED' | 'CURSOR_AHEAD' | 'UNKNOWN_STREAM';

/** Every gap reason, for validation and docs. */
export const STREAM_GAP_REASONS: readonly StreamGapReason[] = [
  'WINDOW_EXCEEDED',
  'EPOCH_CHANGED',
  'CURSOR_AHEAD',
  'UNKNOWN_STREAM',
];

/** Where a client is in a stream: it has every message up to `seq` of `epoch`. */
export interface StreamCursor {
  stream: string;
  epoch: string;
  seq: number;
}

/**
 * The server's answer for one stream of the session, in the welcome. The next
 * message of the stream has `seq + 1` and is in `epoch`.
 * - `resumed: true`: `seq` is the client's cursor; nothing was missed.
 * - `resumed: false, reason: 'NEW'`: the client sent no cursor for it; it starts at the stream's head (not a gap).
 * - `resumed: false, reason: <StreamGapReason>`: messages were missed; the client must say so before the next one.
 */
export interface StreamVerdict extends StreamCursor {
  resumed: boolean;
  /** A later server may send a code not listed here: treat it as a gap. */
  reason?: StreamGapReason | 'NEW' | (string & {});
}

export interface StreamMessageEnvelope {
  type: typeof StreamFrameType.MESSAGE;
  stream: string;
  epoch: string;
  seq: number;
  name: string;
  payload?: unknown;
}

export interface StreamAckEnvelope {
  type: typeof StreamFrameType.ACK;
  stream: string;
  epoch: string;
  seq: number;
}

export interface StreamResetEnvelope {
  type: typeof StreamFrameType.RESET;
  stream: string;
  epoch: string;
  /** The next message of the stream has `seq + 1`. */
  seq: number;
  reason: StreamGapReason | (string & {});
}

export type StreamEnvelope = StreamMessageEnvelope | StreamAckEnvelope | StreamResetEnvelope;

/** Most streams one session may hold (cursors in a hello, verdicts in a welcome). */
export const MAX_STREAMS_PER_SESSION = 256;
