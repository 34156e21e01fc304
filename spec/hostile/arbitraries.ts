import fc from 'fast-check';
import { MessageType } from '../../src/protocol/enums';

/** Arbitraries shared by the codec and live-server fuzz specs. */

const TYPES = [...Object.values(MessageType), 'bogus', ''];
const KEYS = ['__proto__', 'constructor', 'prototype', 'a', 'payload', 'polluted', 'toString', 'id'];

/** JSON text where each character of a string or key may be written as a `\uXXXX` escape. */
export function stringifyEscaped(value: unknown, mask: number): string {
  let position = 0;
  const str = (s: string): string => {
    let out = '"';
    for (const ch of s) {
      const plain = JSON.stringify(ch).slice(1, -1);
      const escape = ch.length === 1 && ((position++ * 7 + mask) & 3) === 0;
      out += escape ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : plain;
    }
    return `${out}"`;
  };
  const walk = (v: unknown): string => {
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) return `[${v.map(walk).join(',')}]`;
    if (v !== null && typeof v === 'object') {
      return `{${Object.keys(v)
        .map((k) => `${str(k)}:${walk((v as Record<string, unknown>)[k])}`)
        .join(',')}}`;
    }
    return JSON.stringify(v) ?? 'null';
  };
  return walk(value);
}

/** Objects whose keys are drawn from a small set that includes the prototype-pollution keys. */
export const hostileObject = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    tie('object'),
    fc.array(tie('value'), { maxLength: 3 }),
  ),
  object: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4 }),
})).value;

export const idLike = fc.oneof(
  fc.string({ minLength: 0, maxLength: 140 }),
  fc.integer(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 1 }),
);

/** Envelope-shaped records: right and wrong field types, any subset of fields. */
export const envelopeLike = fc.record(
  {
    type: fc.constantFrom(...TYPES),
    id: idLike,
    ids: fc.array(idLike, { maxLength: 3 }),
    name: idLike,
    payload: hostileObject,
    ts: fc.oneof(fc.double(), fc.string()),
    v: fc.oneof(fc.constant(1), fc.double(), fc.string()),
    clientId: idLike,
    apiKey: fc.oneof(fc.string(), fc.integer()),
    sessionId: fc.string(),
    dedupeTtl: fc.oneof(fc.integer(), fc.double()),
    heartbeatInterval: fc.integer(),
    maxPayload: fc.integer(),
    code: fc.oneof(fc.string(), fc.integer()),
    message: fc.oneof(fc.string(), fc.constant(null)),
    retryAfter: fc.oneof(fc.double(), fc.string()),
    reason: fc.oneof(fc.string(), fc.integer()),
  },
  { requiredKeys: ['type'] },
);

/** Nesting deeper than the codec's limit (32), arrays and objects. */
export const deep = fc.tuple(fc.integer({ min: 1, max: 200 }), fc.boolean()).map(([depth, objects]) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = objects ? { a: value } : [value];
  return { type: 'data', id: 'deep', name: 'X', payload: value };
});

/** Any text frame: arbitrary strings, JSON values, envelope-shaped records (escaped or not), single or batched. */
export const anyFrame = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc
    .record({
      type: fc.constantFrom('data', 'command'),
      id: fc.string({ minLength: 1, maxLength: 12 }),
      name: fc.constant('X'),
      payload: hostileObject,
    })
    .map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .tuple(
      fc.array(fc.oneof(envelopeLike, deep), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      fc.nat(),
      fc.boolean(),
    )
    .map(([envelopes, batch, mask, escaped]) => {
      const value = batch ? envelopes : envelopes[0];
      return escaped ? stringifyEscaped(value, mask) : JSON.stringify(value);
    }),
);
