import { MAX_ID_LENGTH, validateEnvelope } from '../protocol/codec';
import { MessageType } from '../protocol/enums';
import type { Envelope } from '../protocol/envelope';
import type { ProtocolError } from '../protocol/errors';

/** Past this depth the fast walk does not recurse; the full decoder's iterative walk answers. */
const FAST_MAX_DEPTH = 256;
// Read once: through a CommonJS build (tsx, ts-jest) each imported binding is a getter call.
const DATA: string = MessageType.DATA;
const COMMAND: string = MessageType.COMMAND;
const MAX_ID = MAX_ID_LENGTH;

/**
 * `validateEnvelope` for what a client sends, with a fast path for its usual
 * envelope (`data` or `command` with a valid id and name): one walk that
 * allocates nothing. Anything the fast path does not accept outright goes to
 * the full validator, so the answer (envelope or error) is always the one
 * `validateEnvelope` gives (spec/server/client-envelope.spec.ts compares them).
 */
export function validateClientEnvelope(value: unknown, maxDepth: number): Envelope | ProtocolError {
  return isCleanAppMessage(value, maxDepth) ? (value as Envelope) : validateEnvelope(value, maxDepth, true);
}

function isCleanAppMessage(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null || maxDepth > FAST_MAX_DEPTH) return false;
  const env = value as Record<string, unknown>;
  const type = env['type'];
  return (
    (type === DATA || type === COMMAND) && isId(env['id']) && isId(env['name']) && isClean(env, 0, maxDepth)
  );
}

function isId(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID;
}

/**
 * No nesting past `maxDepth` and no forbidden key. `for...in` rather than
 * `Object.keys`: no array per object. It also lists inherited enumerable keys
 * (a polluted `Object.prototype`), which can only send a frame to the full path.
 */
function isClean(node: object, depth: number, maxDepth: number): boolean {
  if (depth > maxDepth) return false;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (typeof child === 'object' && child !== null && !isClean(child, depth + 1, maxDepth)) return false;
    }
    return true;
  }
  for (const key in node) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return false;
    const child: unknown = (node as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null && !isClean(child, depth + 1, maxDepth)) return false;
  }
  return true;
}
