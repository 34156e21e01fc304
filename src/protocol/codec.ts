import { MessageType } from './enums';
import type { Envelope } from './envelope';
import { ProtocolError, type ProtocolErrorReason } from './errors';
import { MAX_STREAMS_PER_SESSION, STREAM_GAP_REASONS, StreamFrameType } from './stream-envelope';

export interface DecodeLimits {
  /** Largest accepted frame in characters. @default 1048576 */
  maxLength?: number;
  /** Deepest accepted nesting of objects and arrays inside a payload. @default 32 */
  maxDepth?: number;
  /** Most envelopes in one batched frame. @default 10000 */
  maxBatch?: number;
}

export interface DecodeResult {
  /** Envelopes that passed validation, in frame order. */
  envelopes: Envelope[];
  /** One per rejected envelope (or one for the whole frame); `messageId` set when it could be read. */
  errors: ProtocolError[];
}

const DEFAULT_MAX_DEPTH = 32;
/** Longest message id the codec accepts. */
export const MAX_ID_LENGTH = 128;
/** Refused anywhere in an envelope (`walk` compares them inline, in this order). */
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

/** A field rule: the test, and what the field must be (the error says so). */
type Rule = [test: (value: unknown) => boolean, expected: string];

const isId = (value: unknown): boolean =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
const optional = ([test, expected]: Rule): Rule => [(value) => value === undefined || test(value), expected];
const ID: Rule = [isId, `a string of 1 to ${MAX_ID_LENGTH} characters`];
const NUMBER: Rule = [Number.isFinite, 'a finite number'];
const STRING: Rule = [(value) => typeof value === 'string', 'a string'];
const SIZE: Rule = [(value) => Number.isFinite(value) && (value as number) >= 0, 'a number >= 0'];
const LIMIT: Rule = [(value) => Number.isFinite(value) && (value as number) > 0, 'a number > 0'];
const OPTIONAL_NUMBER = optional(NUMBER);
const OPTIONAL_STRING = optional(STRING);

const isSeq = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
const SEQ: Rule = [isSeq, 'an integer >= 0'];
/** A gap reason: one of STREAM_GAP_REASONS today, any short code tomorrow (a client treats an unknown one as a gap). */
const GAP_REASON: Rule = [isId, `a reason code such as ${STREAM_GAP_REASONS.join(', ')}`];
const isCursor = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  isId((value as Record<string, unknown>)['stream']) &&
  isId((value as Record<string, unknown>)['epoch']) &&
  isSeq((value as Record<string, unknown>)['seq']);
const isVerdict = (value: unknown): boolean =>
  isCursor(value) &&
  typeof value['resumed'] === 'boolean' &&
  (value['reason'] === undefined || GAP_REASON[0](value['reason']));
const streamList = (test: (value: unknown) => boolean, expected: string): Rule => [
  (value) =>
    value === undefined ||
    (Array.isArray(value) && value.length <= MAX_STREAMS_PER_SESSION && value.every(test)),
  `an array of at most ${MAX_STREAMS_PER_SESSION} ${expected}`,
];
/** Stream frames (docs/protocol.md section 14); not `MessageType` members. */
const STREAM_CURSOR: Schema = { stream: ID, epoch: ID, seq: SEQ };
const STREAM_SCHEMAS: Record<string, Schema> = {
  [StreamFrameType.MESSAGE]: { ...STREAM_CURSOR, name: ID },
  [StreamFrameType.ACK]: STREAM_CURSOR,
  [StreamFrameType.RESET]: { ...STREAM_CURSOR, reason: GAP_REASON },
};

/** The fields of each envelope type, checked in this order. */
type Schema = Record<string, Rule>;
const DATA: Schema = { id: ID, name: ID };
const HEARTBEAT: Schema = { ts: NUMBER };
const SCHEMAS: Record<MessageType, Schema> = {
  [MessageType.DATA]: DATA,
  [MessageType.COMMAND]: DATA,
  [MessageType.RESPONSE]: { id: ID },
  [MessageType.ACK]: { id: ID },
  [MessageType.NACK]: { id: optional(ID), code: STRING, message: STRING, retryAfter: OPTIONAL_NUMBER },
  [MessageType.HEARTBEAT]: HEARTBEAT,
  [MessageType.HEARTBEAT_ACK]: HEARTBEAT,
  [MessageType.CONNECT]: {
    v: NUMBER,
    apiKey: OPTIONAL_STRING,
    clientId: ID,
    maxPayload: optional(SIZE),
    streams: streamList(isCursor, '{ stream, epoch, seq }'),
  },
  [MessageType.DISCONNECT]: { code: OPTIONAL_NUMBER, reason: OPTIONAL_STRING },
  [MessageType.RECONNECT]: { retryAfter: OPTIONAL_NUMBER },
};
/** An ack without `id` acknowledges many. */
const ACK_MANY: Schema = {
  ids: [(value) => Array.isArray(value) && value.length > 0 && value.every(isId), 'a non-empty array of ids'],
};
/**
 * A `connect` holding a `sessionId` is the server's welcome. A window or frame
 * limit of 0 would refuse every message: invalid. `heartbeatInterval: 0` means no pings.
 */
const WELCOME: Schema = {
  v: NUMBER,
  dedupeTtl: LIMIT,
  heartbeatInterval: SIZE,
  maxPayload: LIMIT,
  streams: streamList(isVerdict, '{ stream, epoch, seq, resumed, reason? }'),
};

/** Each schema as a flat list, built once: a `for...in` over the literal per envelope is measurably slower. */
type Field = readonly [key: string, test: Rule[0], expected: string];
const fields = (schema: Schema): Field[] =>
  Object.entries(schema).map(([key, [test, expected]]) => [key, test, expected]);
const FIELDS = new Map(
  [...Object.entries(SCHEMAS), ...Object.entries(STREAM_SCHEMAS)].map(([type, schema]) => [
    type,
    fields(schema),
  ]),
);
const ACK_MANY_FIELDS = fields(ACK_MANY);
const WELCOME_FIELDS = fields(WELCOME);

/** The largest inbound frame a peer takes unless it says otherwise (the client's own limit, advertised in its hello). */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
/** No peer may advertise a smaller inbound limit: below it not even a nack fits. */
export const MIN_PEER_FRAME_BYTES = 1024;

export function encodeFrame(envelopes: Envelope | readonly Envelope[]): string {
  return JSON.stringify(envelopes);
}

/** Validates one parsed envelope (`validateEnvelope`, or a faster equivalent such as the server's). */
export type EnvelopeValidator = (value: unknown, maxDepth: number) => Envelope | ProtocolError;

/**
 * Parses and validates one text frame. Never throws: every defect becomes a
 * `ProtocolError` in `errors`, so a hostile peer cannot crash the reader.
 */
export function decodeFrame(
  text: unknown,
  limits: DecodeLimits = {},
  validate: EnvelopeValidator = validateEnvelope,
): DecodeResult {
  if (typeof text !== 'string') return fail('BINARY_FRAME', 'Binary frames are refused.');
  const maxLength = limits.maxLength ?? 1024 * 1024;
  if (text.length > maxLength)
    return fail('TOO_LARGE', `Frame of ${text.length} characters; the limit is ${maxLength}.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    return fail('INVALID_JSON', 'Frame is not valid JSON.', cause);
  }
  const isBatch = Array.isArray(parsed);
  const items = isBatch ? (parsed as unknown[]) : [parsed];
  const maxBatch = limits.maxBatch ?? 10_000;
  if (isBatch && (items.length === 0 || items.length > maxBatch)) {
    return fail('INVALID_FIELD', `A batch holds 1 to ${maxBatch} envelopes, not ${items.length}.`);
  }
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  // Every key is checked on the parsed objects (JSON.parse has already undone any `\u` escape
  // spelling one, `"\u005f_proto__"`): three comparisons of interned strings per key cost less
  // than the four scans of the raw text that used to spare clean frames the check.
  const result: DecodeResult = { envelopes: [], errors: [] };
  for (const item of items) {
    const outcome = validate(item, maxDepth);
    if (outcome instanceof ProtocolError) result.errors.push(outcome);
    else result.envelopes.push(outcome);
  }
  return result;
}

/** Validates one parsed envelope; returns it typed, or the rule it broke. */
export function validateEnvelope(
  value: unknown,
  maxDepth = DEFAULT_MAX_DEPTH,
  checkKeys = true,
): Envelope | ProtocolError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return error('NOT_AN_OBJECT', 'An envelope is a JSON object.');
  }
  const env = value as Record<string, unknown>;
  const id = typeof env['id'] === 'string' ? env['id'] : undefined;
  const structural = checkStructure(env, maxDepth, checkKeys);
  if (structural) return error(structural[0], structural[1], id);
  const type = env['type'];
  const schema =
    type === MessageType.ACK && env['id'] === undefined
      ? ACK_MANY_FIELDS
      : type === MessageType.CONNECT && typeof env['sessionId'] === 'string'
        ? WELCOME_FIELDS
        : FIELDS.get(type as string);
  if (!schema) return error('UNKNOWN_TYPE', `Unknown type ${JSON.stringify(type)}.`, id);
  for (const [key, test, expected] of schema) {
    if (!test(env[key])) return error('INVALID_FIELD', `\`${key}\` must be ${expected}.`, id);
  }
  return env as unknown as Envelope;
}

/** Up to this `maxDepth` the walk recurses (bounded by the depth, so no hostile frame overflows the stack). */
const RECURSIVE_MAX_DEPTH = 256;
const TOO_DEEP = 'TOO_DEEP';

/** Depth and forbidden keys of a parsed envelope. */
function checkStructure(
  root: object,
  maxDepth: number,
  checkKeys: boolean,
): [ProtocolErrorReason, string] | undefined {
  if (maxDepth > RECURSIVE_MAX_DEPTH) return checkStructureIteratively(root, maxDepth, checkKeys);
  const found = walk(root, 0, maxDepth, checkKeys);
  if (found === undefined) return undefined;
  return found === TOO_DEEP
    ? ['TOO_DEEP', `Nesting deeper than ${maxDepth} levels.`]
    : ['FORBIDDEN_KEY', `Key "${found}" is refused.`];
}

/**
 * The walk for a bounded `maxDepth`: no stack array and no tuple per node, one
 * `Object.keys` per object. Returns TOO_DEEP, a forbidden key, or undefined.
 */
function walk(node: object, depth: number, maxDepth: number, checkKeys: boolean): string | undefined {
  if (depth > maxDepth) return TOO_DEEP;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (typeof child === 'object' && child !== null) {
        const found = walk(child, depth + 1, maxDepth, checkKeys);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }
  const keys = Object.keys(node);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (checkKeys && (key === '__proto__' || key === 'constructor' || key === 'prototype')) return key;
    const child: unknown = (node as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null) {
      const found = walk(child, depth + 1, maxDepth, checkKeys);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Iterative walk, for a caller's `maxDepth` too deep to recurse: depth and forbidden keys. */
function checkStructureIteratively(
  root: object,
  maxDepth: number,
  checkKeys: boolean,
): [ProtocolErrorReason, string] | undefined {
  const stack: Array<[object, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > maxDepth) return ['TOO_DEEP', `Nesting deeper than ${maxDepth} levels.`];
    const isArray = Array.isArray(node);
    if (checkKeys && !isArray) {
      for (const key of Object.keys(node)) {
        if (FORBIDDEN_KEYS.includes(key)) return ['FORBIDDEN_KEY', `Key "${key}" is refused.`];
      }
    }
    for (const child of isArray ? node : Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

function error(
  reason: ProtocolErrorReason,
  message: string,
  messageId?: string,
  cause?: unknown,
): ProtocolError {
  return new ProtocolError(reason, message, { cause, messageId });
}

function fail(reason: ProtocolErrorReason, message: string, cause?: unknown): DecodeResult {
  return { envelopes: [], errors: [error(reason, message, undefined, cause)] };
}
