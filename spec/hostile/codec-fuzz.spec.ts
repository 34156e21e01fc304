import fc from 'fast-check';
import { decodeFrame, validateEnvelope, type DecodeResult } from '../../src/protocol/codec';
import { ProtocolError } from '../../src/protocol/errors';
import { deep, envelopeLike, stringifyEscaped } from './arbitraries';

/** Fixed seed: a failure replays; change it locally to explore further. */
const SEED = 0x5eed_c0de;
const RUNS = 1500;

/** decodeFrame's contract on any input: no throw, and only envelopes that validate. */
function checkDecoded(input: unknown): DecodeResult {
  let result: DecodeResult | undefined;
  expect(() => (result = decodeFrame(input))).not.toThrow();
  const { envelopes, errors } = result!;
  expect(Array.isArray(envelopes) && Array.isArray(errors)).toBe(true);
  expect(envelopes.length + errors.length).toBeGreaterThan(0);
  for (const envelope of envelopes) expect(validateEnvelope(envelope)).not.toBeInstanceOf(ProtocolError);
  for (const error of errors) {
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.code).toBe('PROTOCOL_ERROR');
  }
  return result!;
}

describe('decodeFrame under fuzzing (fast-check)', () => {
  it('never throws on arbitrary strings, and returns only valid envelopes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => void checkDecoded(text)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('never throws on arbitrary JSON values (single or batched), and returns only valid envelopes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const { envelopes, errors } = checkDecoded(JSON.stringify(value));
        if (Array.isArray(value) && value.length > 0)
          expect(envelopes.length + errors.length).toBe(value.length);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('returns only valid envelopes for envelope-shaped input with hostile keys, written with or without \\u escapes', () => {
    const input = fc.tuple(
      fc.array(fc.oneof(envelopeLike, deep), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      fc.nat(),
      fc.boolean(),
    );
    fc.assert(
      fc.property(input, ([envelopes, batch, mask, escaped]) => {
        const value = batch ? envelopes : envelopes[0];
        checkDecoded(escaped ? stringifyEscaped(value, mask) : JSON.stringify(value));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('accepts the valid envelopes in that space: the property above is not vacuous', () => {
    let accepted = 0;
    fc.assert(
      fc.property(envelopeLike, fc.nat(), (envelope, mask) => {
        accepted += checkDecoded(stringifyEscaped(envelope, mask)).envelopes.length;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(accepted).toBeGreaterThan(RUNS / 50);
  });

  it('refuses a prototype-pollution key even when the frame spells it with \\u escapes', () => {
    const frames = [
      '{"type":"data","id":"a","name":"X","payload":{"\\u005f_proto__":{"polluted":1}}}',
      '{"type":"data","id":"a","name":"X","payload":[{"constr\\u0075ctor":{"x":1}}]}',
      '{"type":"data","id":"a","name":"X","\\u0070rototype":1}',
    ];
    for (const frame of frames) {
      const { envelopes, errors } = checkDecoded(frame);
      expect(envelopes).toEqual([]);
      expect(errors[0]).toMatchObject({ reason: 'FORBIDDEN_KEY', messageId: 'a' });
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('never throws on values that are not strings (binary frames, Buffers, objects)', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        if (typeof value === 'string') return;
        expect(checkDecoded(value).errors[0]).toMatchObject({ reason: 'BINARY_FRAME' });
      }),
      { seed: SEED, numRuns: 300 },
    );
    expect(checkDecoded(Buffer.from('{"type":"heartbeat","ts":1}')).errors[0]!.reason).toBe('BINARY_FRAME');
  });
});
