import fc from 'fast-check';
import { decodeFrame, type DecodeLimits, type DecodeResult } from '../../src/protocol/codec';
import { validateClientEnvelope } from '../../src/server/client-envelope';
import { anyFrame, deep, envelopeLike, hostileObject, stringifyEscaped } from '../hostile/arbitraries';

/** A decode result as data: the envelopes (same objects' contents) and each error's reason, message and id. */
function summary(result: DecodeResult): unknown {
  return {
    envelopes: result.envelopes,
    errors: result.errors.map((e) => [e.reason, e.message, e.messageId]),
  };
}

function expectSameDecode(text: unknown, limits: DecodeLimits = {}): void {
  expect(summary(decodeFrame(text, limits, validateClientEnvelope))).toEqual(
    summary(decodeFrame(text, limits)),
  );
}

/** The client's usual envelope, valid or nearly: ids and names at and past their bounds, payloads hostile or deep. */
const appMessage = fc.record(
  {
    type: fc.constantFrom('data', 'command', 'ack', 'Data'),
    id: fc.oneof(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.constantFrom('', 'x'.repeat(128), 'x'.repeat(129)),
      fc.integer(),
    ),
    name: fc.oneof(fc.constantFrom('signal', '', 'n'.repeat(129)), fc.constant(null)),
    payload: fc.oneof(
      hostileObject,
      deep.map((d) => d.payload),
    ),
    __proto__: fc.constant({ polluted: true }),
    constructor: fc.constant(1),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['type'] },
);

/** A frame's text with one edit: a character dropped, doubled or replaced. */
const mutated = fc
  .tuple(
    fc.array(fc.oneof(appMessage, envelopeLike), { minLength: 1, maxLength: 4 }),
    fc.nat(),
    fc.constantFrom('drop', 'double', 'replace'),
    fc.constantFrom('"', '{', '}', '[', ']', ',', ':', '\\', '_', 'x', '0'),
  )
  .map(([envelopes, at, edit, ch]) => {
    const text = JSON.stringify(envelopes);
    const i = at % text.length;
    if (edit === 'drop') return text.slice(0, i) + text.slice(i + 1);
    if (edit === 'double') return text.slice(0, i + 1) + text.slice(i);
    return text.slice(0, i) + ch + text.slice(i + 1);
  });

describe('validateClientEnvelope: the server fast path decodes exactly as decodeFrame does', () => {
  it('on arbitrary frames (strings, JSON values, envelope-shaped records, escaped keys)', () => {
    fc.assert(
      fc.property(anyFrame, (text) => expectSameDecode(text)),
      { numRuns: 2000 },
    );
  });

  it("on the client's usual envelope and its near misses, single or batched, escaped or not", () => {
    fc.assert(
      fc.property(
        fc.array(appMessage, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.nat(),
        fc.boolean(),
        (envelopes, batch, mask, escaped) => {
          const value = batch ? envelopes : envelopes[0];
          expectSameDecode(escaped ? stringifyEscaped(value, mask) : JSON.stringify(value));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('on mutated frames', () => {
    fc.assert(
      fc.property(mutated, (text) => expectSameDecode(text)),
      { numRuns: 2000 },
    );
  });

  it('under other depth limits, above the fast walk bound included', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyFrame,
          deep.map((d) => JSON.stringify(d)),
        ),
        fc.constantFrom(0, 1, 3, 32, 256, 257, 1000),
        (text, maxDepth) => expectSameDecode(text, { maxDepth }),
      ),
      { numRuns: 1000 },
    );
  });

  it('accepts the usual envelope through the fast path (not vacuous)', () => {
    const text = '[{"type":"data","id":"p-1","name":"signal","payload":{"a":[1,{"b":2}]}}]';
    const { envelopes, errors } = decodeFrame(text, {}, validateClientEnvelope);
    expect(errors).toEqual([]);
    expect(envelopes).toEqual([{ type: 'data', id: 'p-1', name: 'signal', payload: { a: [1, { b: 2 }] } }]);
  });

  it('sends a frame to the full path when Object.prototype has an enumerable key, with the same answer', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto['polluted'] = { deep: { deeper: true } };
    try {
      expectSameDecode('{"type":"data","id":"p-1","name":"signal","payload":{"a":1}}', { maxDepth: 1 });
      expectSameDecode('{"type":"data","id":"p-1","name":"signal","payload":{"a":1}}');
    } finally {
      delete proto['polluted'];
    }
  });
});
