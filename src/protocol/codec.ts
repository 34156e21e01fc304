import { MessageType } from './enums';
import type { Envelope } from './envelope';
import { ProtocolError, type ProtocolErrorReason } from './errors';

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

const DEFAULT_MAX_LENGTH = 1024 * 1024;
const DEFAULT_MAX_DEPTH = 32;
const DEFAULT_MAX_BATCH = 10_000;
const MAX_ID_LENGTH = 128;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const KNOWN_TYPES = new Set<string>(Object.values(MessageType));

export function encodeFrame(envelopes: Envelope | readonly Envelope[]): string {
  return JSON.stringify(envelopes);
}

/**
 * Parses and validates one text frame. Never throws: every defect becomes a
 * `ProtocolError` in `errors`, so a hostile peer cannot crash the reader.
 */
export function decodeFrame(text: unknown, limits: DecodeLimits = {}): DecodeResult {
  if (typeof text !== 'string') {
    return fail('BINARY_FRAME', 'Only text frames carry the protocol; binary frames are refused.');
  }
  const maxLength = limits.maxLength ?? DEFAULT_MAX_LENGTH;
  if (text.length > maxLength) {
    return fail('TOO_LARGE', `Frame of ${text.length} characters exceeds the limit of ${maxLength}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    return fail('INVALID_JSON', 'Frame is not valid JSON.', cause);
  }
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  const mayHaveForbiddenKey = hasForbiddenKeyText(text);
  const result: DecodeResult = { envelopes: [], errors: [] };
  if (Array.isArray(parsed)) {
    const maxBatch = limits.maxBatch ?? DEFAULT_MAX_BATCH;
    if (parsed.length === 0 || parsed.length > maxBatch) {
      return fail('INVALID_FIELD', `A batch holds 1 to ${maxBatch} envelopes, not ${parsed.length}.`);
    }
    for (const item of parsed) collect(item, maxDepth, mayHaveForbiddenKey, result);
  } else {
    collect(parsed, maxDepth, mayHaveForbiddenKey, result);
  }
  return result;
}

function collect(value: unknown, maxDepth: number, checkKeys: boolean, into: DecodeResult): void {
  const outcome = validateEnvelope(value, maxDepth, checkKeys);
  if (outcome instanceof ProtocolError) into.errors.push(outcome);
  else into.envelopes.push(outcome);
}

/** Validates one parsed envelope; returns it typed, or the rule it broke. */
export function validateEnvelope(
  value: unknown,
  maxDepth = DEFAULT_MAX_DEPTH,
  checkKeys = true,
): Envelope | ProtocolError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return error('NOT_AN_OBJECT', 'An envelope must be a JSON object.');
  }
  const env = value as Record<string, unknown>;
  const id = typeof env['id'] === 'string' ? env['id'] : undefined;
  if (checkKeys || maxDepth < Infinity) {
    const structural = checkStructure(env, maxDepth, checkKeys);
    if (structural) return error(structural.reason, structural.message, id);
  }
  const type = env['type'];
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
    return error('UNKNOWN_TYPE', `Unknown envelope type ${JSON.stringify(type)}.`, id);
  }
  const problem = fieldProblem(type as MessageType, env);
  return problem ? error('INVALID_FIELD', problem, id) : (env as unknown as Envelope);
}

function fieldProblem(type: MessageType, env: Record<string, unknown>): string | undefined {
  switch (type) {
    case MessageType.DATA:
    case MessageType.COMMAND:
      return idProblem(env['id'], 'id') ?? idProblem(env['name'], 'name');
    case MessageType.RESPONSE:
      return idProblem(env['id'], 'id');
    case MessageType.ACK:
      if (env['id'] !== undefined) return idProblem(env['id'], 'id');
      if (!Array.isArray(env['ids']) || env['ids'].length === 0)
        return 'An ack needs `id` or a non-empty `ids`.';
      for (const item of env['ids']) {
        const p = idProblem(item, 'ids[]');
        if (p) return p;
      }
      return undefined;
    case MessageType.NACK:
      if (env['id'] !== undefined && idProblem(env['id'], 'id')) return idProblem(env['id'], 'id');
      if (typeof env['code'] !== 'string') return 'A nack needs a string `code`.';
      if (typeof env['message'] !== 'string') return 'A nack needs a string `message`.';
      return optionalNumber(env, 'retryAfter');
    case MessageType.HEARTBEAT:
    case MessageType.HEARTBEAT_ACK:
      return isFiniteNumber(env['ts']) ? undefined : '`ts` must be a finite number.';
    case MessageType.CONNECT:
      if (!isFiniteNumber(env['v'])) return '`v` (protocol version) must be a number.';
      if (typeof env['sessionId'] === 'string') {
        for (const key of ['dedupeTtl', 'heartbeatInterval', 'maxPayload']) {
          if (!isFiniteNumber(env[key]) || (env[key] as number) < 0)
            return `\`${key}\` must be a non-negative number.`;
        }
        return undefined;
      }
      if (env['apiKey'] !== undefined && typeof env['apiKey'] !== 'string')
        return '`apiKey` must be a string.';
      return idProblem(env['clientId'], 'clientId');
    case MessageType.DISCONNECT:
      return (
        optionalNumber(env, 'code') ??
        (env['reason'] !== undefined && typeof env['reason'] !== 'string'
          ? '`reason` must be a string.'
          : undefined)
      );
    case MessageType.RECONNECT:
      return optionalNumber(env, 'retryAfter');
  }
}

function idProblem(value: unknown, field: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    return `\`${field}\` must be a string of 1 to ${MAX_ID_LENGTH} characters.`;
  }
  return undefined;
}

function optionalNumber(env: Record<string, unknown>, key: string): string | undefined {
  return env[key] === undefined || isFiniteNumber(env[key])
    ? undefined
    : `\`${key}\` must be a finite number.`;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * The raw text is scanned once so clean frames skip the per-key walk. A
 * `\u` escape can spell any key (`"\u005f_proto__"`), so a frame holding one
 * always gets the walk (found by fuzzing, spec/hostile/codec-fuzz.spec.ts).
 */
function hasForbiddenKeyText(text: string): boolean {
  return (
    text.includes('__proto__') ||
    text.includes('constructor') ||
    text.includes('prototype') ||
    text.includes('\\u')
  );
}

interface StructureProblem {
  reason: ProtocolErrorReason;
  message: string;
}

/** Iterative walk: depth and forbidden keys, without recursion a hostile frame could overflow. */
function checkStructure(root: object, maxDepth: number, checkKeys: boolean): StructureProblem | undefined {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > maxDepth) return { reason: 'TOO_DEEP', message: `Nesting deeper than ${maxDepth} levels.` };
    if (Array.isArray(node)) {
      for (const item of node) if (typeof item === 'object' && item !== null) stack.push([item, depth + 1]);
      continue;
    }
    for (const key of Object.keys(node)) {
      if (checkKeys && FORBIDDEN_KEYS.has(key)) {
        return {
          reason: 'FORBIDDEN_KEY',
          message: `Key ${JSON.stringify(key)} is refused (prototype pollution).`,
        };
      }
      const child = (node as Record<string, unknown>)[key];
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
