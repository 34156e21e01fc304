import { ReliableWebSocketClient } from '../../src/node';
import { API_KEY, ReliabilityRig } from '../helpers/reliability-rig';
import { withTimeout } from '../helpers/raw-client';
import { until } from '../helpers/wait';

const IN_FLIGHT = 1000; // the default maxInFlight
const RESPONSE = 'r'.repeat(2048);
/** Each send is resent once after the reconnect; anything more means answers were refused. */
const MAX_RETRIES_TOTAL = IN_FLIGHT * 1.5;

describe('1,000 answers of 2 KB waiting behind one dropped link', () => {
  let rig: ReliabilityRig;
  let client: ReliableWebSocketClient;

  beforeEach(async () => {
    rig = await ReliabilityRig.start({ handler: () => RESPONSE });
    client = new ReliableWebSocketClient(rig.url, {
      apiKey: API_KEY,
      enablePersistence: false,
      messageTimeout: 20_000,
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

  it('are cut into frames the client takes after the reconnect: every send acked, no frame refused, retries bounded', async () => {
    const refused: unknown[] = [];
    client.addEventListener('error', (event) => refused.push((event as CustomEvent).detail.error));
    rig.proxy.dropDirection('downstream', true);
    const results = Array.from({ length: IN_FLIGHT }, (_, i) =>
      client.sendWithAcknowledgement<string>({ type: 'ECHO', payload: i }),
    );
    await until(() => rig.processed.size === IN_FLIGHT, 10_000, 'every message to be handled');
    // The link dies with every answer unread; the client resends all 1,000 on the new one.
    rig.proxy.resetAll();
    rig.proxy.dropDirection('downstream', false);
    const settled = await withTimeout(Promise.all(results), 15_000, 'every result');

    const acked = settled.filter((r) => r.acknowledged && r.response === RESPONSE).length;
    const stats = client.getStats();
    console.log(
      `1,000 x 2 KB answers after a dropped link: ${acked} acked, ${refused.length} errors, ` +
        `${stats.messagesRetried} retries, ${stats.reconnects} reconnects, ${rig.server.stats().duplicates} dedupe hits`,
    );
    expect(acked).toBe(IN_FLIGHT);
    expect(refused).toEqual([]);
    expect(stats.messagesRetried).toBeLessThanOrEqual(MAX_RETRIES_TOTAL);
    expect([...rig.processed.values()].every((runs) => runs === 1)).toBe(true);
  }, 30_000);
});
