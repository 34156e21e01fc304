import { randomUUID } from 'node:crypto';
import { ReliableWebSocketClient } from '../../src/node';
import { API_KEY, ReliabilityRig } from '../helpers/reliability-rig';
import { withTimeout } from '../helpers/raw-client';
import { until } from '../helpers/wait';
import { countDeliveries, faults, formatCounts, NO_FAULTS, reliabilityScale } from './helpers/counts';

const MESSAGES = Math.round(24 * reliabilityScale());

interface Handled {
  messageId: string;
  token: string;
}

describe('acks lost on the way back', () => {
  let rig: ReliabilityRig;
  let client: ReliableWebSocketClient;
  /** Set before a send: the handler cuts the downstream direction before its ack is written. */
  let armed: ((handled: Handled) => void) | undefined;

  beforeEach(async () => {
    rig = await ReliabilityRig.start({
      handler: (payload, ctx) => {
        const token = randomUUID();
        if (armed) {
          // Synchronously, before the server writes the ack: it will be dropped by the proxy.
          rig.proxy.dropDirection('downstream', true);
          armed({ messageId: ctx.messageId, token });
          armed = undefined;
        }
        return { token, echo: payload };
      },
    });
    client = new ReliableWebSocketClient(rig.url, {
      apiKey: API_KEY,
      enablePersistence: false,
      messageTimeout: 150,
      maxRetries: 20,
      reconnectInterval: 10,
      maxReconnectAttempts: 100,
      backoff: { maxInterval: 50 },
    });
    await client.connect();
  });

  afterEach(async () => {
    await client.close();
    await rig.close();
  });

  it(`retries get the original response and the handler runs once (${MESSAGES} messages; restore, or reset and reconnect)`, async () => {
    const sent: string[] = [];
    const acknowledged = new Set<string>();
    let sameResponse = 0;
    let minAttempts = Infinity;
    for (let i = 0; i < MESSAGES; i++) {
      const handled = new Promise<Handled>((resolve) => (armed = resolve));
      const droppedBefore = rig.proxy.stats.bytesDropped;
      const pending = client.sendWithAcknowledgement<{ token: string }>({ type: 'ECHO', payload: i });
      const first = await withTimeout(handled, 3000, `handler run of message ${i}`);
      // The ack really was lost: the proxy discarded bytes on the way back.
      await until(() => rig.proxy.stats.bytesDropped > droppedBefore, 3000, 'the ack to be dropped');
      if (i % 2 === 1) rig.proxy.resetAll(); // the link dies too: the resend goes out on a new connection
      rig.proxy.dropDirection('downstream', false);
      const result = await withTimeout(pending, 5000, `result of message ${i}`);
      sent.push(result.messageId);
      if (result.acknowledged) acknowledged.add(result.messageId);
      if (result.response?.token === first.token && result.messageId === first.messageId) sameResponse++;
      // A resend after an ack timeout is an attempt; a resend after a reconnect is not (its TTL bounds it).
      if (i % 2 === 0) minAttempts = Math.min(minAttempts, result.attempts);
    }
    const counts = countDeliveries({ sent, acknowledged, processed: rig.processed });
    const { duplicates } = rig.server.stats();
    console.log(
      formatCounts('lost acks', counts, {
        'original response': sameResponse,
        'server dedupe hits': duplicates,
        reconnects: client.getStats().reconnects,
        'min attempts (same link)': minAttempts,
      }),
    );
    expect(faults(counts)).toEqual(NO_FAULTS);
    expect(counts.processedOnce).toBe(MESSAGES);
    expect(sameResponse).toBe(MESSAGES);
    expect(minAttempts).toBeGreaterThanOrEqual(2);
    // Every message was answered at least once from the dedupe memory, i.e. it was really resent.
    expect(duplicates).toBeGreaterThanOrEqual(MESSAGES);
    expect(client.getStats().reconnects).toBeGreaterThanOrEqual(Math.floor(MESSAGES / 2));
  }, 30_000);
});
