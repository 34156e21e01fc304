import { decodeFrame, StreamFrameType, validateEnvelope } from '../../src/protocol/index';

const reasonOf = (value: unknown): string | undefined => {
  const outcome = validateEnvelope(value);
  return outcome instanceof Error ? outcome.message : undefined;
};

describe('stream envelopes (docs/protocol.md, section 14)', () => {
  it('accepts stream, stream_ack and stream_reset frames', () => {
    const frame = JSON.stringify([
      { type: 'stream', stream: 'principal:a', epoch: 'e1', seq: 7, name: 'FILL', payload: { qty: 1 } },
      { type: 'stream_ack', stream: 'principal:a', epoch: 'e1', seq: 7 },
      { type: 'stream_reset', stream: 'principal:a', epoch: 'e2', seq: 0, reason: 'EPOCH_CHANGED' },
    ]);
    const { envelopes, errors } = decodeFrame(frame);
    expect(errors).toEqual([]);
    expect(envelopes.map((e) => e.type)).toEqual([
      StreamFrameType.MESSAGE,
      StreamFrameType.ACK,
      StreamFrameType.RESET,
    ]);
  });

  it.each([
    ['a fractional seq', { type: 'stream_ack', stream: 's', epoch: 'e', seq: 1.5 }, 'seq'],
    ['a negative seq', { type: 'stream', stream: 's', epoch: 'e', seq: -1, name: 'N' }, 'seq'],
    ['an empty stream name', { type: 'stream_ack', stream: '', epoch: 'e', seq: 1 }, 'stream'],
    ['a missing epoch', { type: 'stream', stream: 's', seq: 1, name: 'N' }, 'epoch'],
    [
      'an empty reset reason',
      { type: 'stream_reset', stream: 's', epoch: 'e', seq: 1, reason: '' },
      'reason',
    ],
  ])('refuses %s', (_what, envelope, field) => {
    expect(reasonOf(envelope)).toContain(`\`${field}\``);
  });

  it('accepts cursors in a hello and verdicts in a welcome, and refuses malformed ones', () => {
    const hello = { type: 'connect', v: 1, clientId: 'c', streams: [{ stream: 's', epoch: 'e', seq: 3 }] };
    expect(reasonOf(hello)).toBeUndefined();
    expect(reasonOf({ ...hello, streams: [] })).toBeUndefined();
    expect(reasonOf({ ...hello, streams: [{ stream: 's', epoch: 'e' }] })).toContain('`streams`');
    expect(reasonOf({ ...hello, streams: 'all' })).toContain('`streams`');
    const welcome = {
      type: 'connect',
      v: 1,
      sessionId: 's1',
      dedupeTtl: 1,
      heartbeatInterval: 1,
      maxPayload: 1024,
      streams: [
        { stream: 's', epoch: 'e', seq: 3, resumed: true },
        { stream: 't', epoch: 'e', seq: 0, resumed: false, reason: 'NEW' },
        { stream: 'u', epoch: 'e', seq: 9, resumed: false, reason: 'WINDOW_EXCEEDED' },
      ],
    };
    expect(reasonOf(welcome)).toBeUndefined();
    expect(reasonOf({ ...welcome, streams: [{ stream: 's', epoch: 'e', seq: 3 }] })).toContain('`streams`');
    expect(
      reasonOf({ ...welcome, streams: [{ stream: 's', epoch: 'e', seq: 3, resumed: false, reason: 42 }] }),
    ).toContain('`streams`');
    // A reason this version does not know still passes: the client reports it as a gap.
    expect(
      reasonOf({
        ...welcome,
        streams: [{ stream: 's', epoch: 'e', seq: 3, resumed: false, reason: 'LATER' }],
      }),
    ).toBeUndefined();
  });

  it('refuses more than 256 cursors in a hello', () => {
    const streams = Array.from({ length: 257 }, (_, i) => ({ stream: `s${i}`, epoch: 'e', seq: 0 }));
    expect(reasonOf({ type: 'connect', v: 1, clientId: 'c', streams })).toContain('at most 256');
  });
});
