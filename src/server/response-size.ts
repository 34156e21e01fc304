import type { DedupeOutcome } from './dedupe-store';

/**
 * The JSON of the last response measured, reused by the ack that follows it
 * (usually at once): one encoding per answer, and nothing kept per remembered
 * outcome (a cache per entry would double the dedupe window's memory).
 */
let lastOutcome: object | undefined;
let lastJson = '';

/** Bytes an ack adds around its response: `{"type":"ack","id":"<128 chars>","response":` and `}`. */
export const ACK_OVERHEAD_BYTES = 176;

/**
 * Checks a handler's outcome against the peer's frame limit before it is
 * remembered: a response JSON cannot encode becomes nack
 * `RESPONSE_NOT_SERIALIZABLE`, one whose ack would be bigger than the peer
 * can take becomes nack `RESPONSE_TOO_LARGE`. Either is the outcome from then
 * on, so a resend gets the same answer.
 */
export function boundOutcome(outcome: DedupeOutcome, maxFrameBytes: number): DedupeOutcome {
  if (!outcome.ok || outcome.response === undefined) return outcome;
  let json: string;
  try {
    json = JSON.stringify(outcome.response);
  } catch (error) {
    return {
      ok: false,
      code: 'RESPONSE_NOT_SERIALIZABLE',
      message: `The handler returned a value JSON cannot encode (${describe(error)}).`,
    };
  }
  if (json === undefined) return { ok: true }; // a function or a symbol: JSON leaves the field out
  // At most 3 bytes a character: only a long response needs measuring.
  const bytes = json.length * 3 + ACK_OVERHEAD_BYTES <= maxFrameBytes ? 0 : Buffer.byteLength(json);
  if (bytes + ACK_OVERHEAD_BYTES > maxFrameBytes) {
    return {
      ok: false,
      code: 'RESPONSE_TOO_LARGE',
      message: `RESPONSE_TOO_LARGE: the response is ${bytes} bytes; the client takes frames of at most ${maxFrameBytes} bytes. The message was processed; return less from the handler.`,
    };
  }
  lastOutcome = outcome;
  lastJson = json;
  return outcome;
}

/** The ack envelope's JSON, byte for byte what `JSON.stringify({ type, id, response })` gives. */
export function encodedAck(id: string, response: unknown, outcome: object): string {
  const json = outcome === lastOutcome ? lastJson : (JSON.stringify(response) as string | undefined);
  if (json === undefined) return `{"type":"ack","id":${JSON.stringify(id)}}`;
  return `{"type":"ack","id":${JSON.stringify(id)},"response":${json}}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
