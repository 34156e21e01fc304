/**
 * Child process of the inbound kill -9 spec:
 * `node --import tsx spec/reliability/helpers/inbound-kill-child.ts DIR URL STREAM FACTS` (API key in `RXWS_API_KEY`).
 *
 * A ReliableWebSocketClient on a FileStorageAdapter in DIR connects to URL and
 * records every reliable message of STREAM app code gets, as
 * `got <n> <seq> <0|1 redelivered>`, with a synchronous write to FACTS before
 * the subscriber returns (a line still in a stdout buffer would die with the
 * process). Prints `ready` once connected. The parent kills it.
 */
import { openSync, writeSync } from 'node:fs';
import { FileStorageAdapter, ReliableWebSocketClient } from '../../../src/node';

const [dir, url, stream, factsPath] = process.argv.slice(2);
if (!dir || !url || !stream || !factsPath)
  throw new Error('usage: inbound-kill-child.ts DIR URL STREAM FACTS');

setTimeout(() => process.exit(2), 20_000);
const facts = openSync(factsPath, 'a');

const client = new ReliableWebSocketClient(url, {
  apiKey: process.env['RXWS_API_KEY'],
  storage: new FileStorageAdapter(dir),
  enablePersistence: true,
  reconnectInterval: 20,
  maxReconnectAttempts: 1_000_000,
  backoff: { maxInterval: 100 },
});
client.messages$.subscribe((m) => {
  if (m.stream !== stream) return;
  writeSync(facts, `got ${(m.payload as { n: number }).n} ${m.seq} ${m.redelivered ? 1 : 0}\n`);
});

client.connect().then(
  () => process.stdout.write('ready\n'),
  (error: unknown) => {
    process.stderr.write(`connect failed: ${String(error)}\n`);
    process.exit(3);
  },
);
