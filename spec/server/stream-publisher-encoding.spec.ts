import type { Envelope } from '../../src/protocol';
import { MemoryInboundLog } from '../../src/server/memory-inbound-log';
import { StreamPublisher, type StreamSink } from '../../src/server/stream-publisher';

/** A sink that records what the publisher hands it, encoded or not. */
function recordingSink(): StreamSink & { frames: Array<{ text?: string; envelope: Envelope }> } {
  const frames: Array<{ text?: string; envelope: Envelope }> = [];
  return {
    isOpen: true,
    frames,
    push: (envelope) => frames.push({ envelope }),
    pushEncoded: (text, envelope) => frames.push({ text, envelope }),
  };
}

const PAYLOADS: unknown[] = [
  undefined,
  null,
  0,
  'say "hi" \\ ✓ \u2028',
  { qty: 100_000, px: 1.08512, nested: { list: [1, 'two', null, { deep: true }] } },
  { at: new Date(0) },
  [],
];

describe('StreamPublisher frame encoding', () => {
  it('hands live and replayed records to the sink as JSON.stringify of their envelope', async () => {
    const publisher = new StreamPublisher(new MemoryInboundLog(), (error) => {
      throw error;
    });
    publisher.start();
    const replayed = recordingSink();
    const live = recordingSink();
    // Published before the sessions open: `replayed` reads them from the log (the pump path).
    for (const payload of PAYLOADS) await publisher.publish('s "1"', 'FILL', payload);
    const a = await publisher.open(replayed, ['s "1"'], [{ stream: 's "1"', epoch: 'x', seq: 0 }]);
    a.begin();
    const b = await publisher.open(live, ['s "1"'], []);
    b.begin();
    await new Promise((resolve) => setImmediate(resolve));
    for (const payload of PAYLOADS) await publisher.publish('s "1"', 'FILL', payload);
    publisher.stop();
    const messages = (sink: ReturnType<typeof recordingSink>) =>
      sink.frames.filter((f) => f.envelope.type === 'stream');
    expect(messages(replayed)).toHaveLength(2 * PAYLOADS.length);
    expect(messages(live)).toHaveLength(PAYLOADS.length);
    for (const frame of [...messages(replayed), ...messages(live)]) {
      expect(frame.text).toBe(JSON.stringify(frame.envelope));
    }
  });

  it('falls back to push for a payload that stopped being encodable after publish', async () => {
    const publisher = new StreamPublisher(new MemoryInboundLog(), () => undefined);
    publisher.start();
    const payload: Record<string, unknown> = { ok: true };
    await publisher.publish('s', 'FILL', payload);
    payload['self'] = payload; // a cycle, added after the log took it
    const sink = recordingSink();
    const { begin } = await publisher.open(sink, ['s'], [{ stream: 's', epoch: 'x', seq: 0 }]);
    begin();
    await new Promise((resolve) => setImmediate(resolve));
    publisher.stop();
    const message = sink.frames.find((f) => f.envelope.type === 'stream');
    expect(message?.text).toBeUndefined();
    expect(message?.envelope).toMatchObject({ type: 'stream', seq: 1 });
  });
});
