/**
 * Child process of the kill -9 spec:
 * `node --import tsx spec/reliability/helpers/kill-child.ts DIR URL RUN COUNT FACTS` (API key in `RXWS_API_KEY`).
 *
 * A ReliableWebSocketClient on a FileStorageAdapter in DIR restores its queue,
 * connects to URL in the background (a dead port: it queues offline), then
 * sends COUNT messages, 8 at a time. It prints one line per fact, each only
 * once it is true:
 *   `ready`           the queue is restored (and, if URL answers, connected)
 *   `sent <id>`       `await client.send(...)` resolved: the message is persisted
 *   `acked <id>`      a messageAcknowledged event (restored messages included)
 *   `failed <id> <code>`  a messageFailed or messageExpired event
 *   `done`            every send resolved
 * Each line goes to the FACTS file with a synchronous write before anything
 * else happens, so a kill -9 cannot lose it: stdout to a pipe is asynchronous
 * in Node, and a line still in this process's buffer dies with it, while the
 * journal write that follows an ack survives. stdout carries the same lines
 * for the parent's timing (`ready`).
 * It never exits on its own before its 20 s safety limit: the parent kills it.
 */
import { openSync, writeSync } from 'node:fs';
import { FileStorageAdapter, ReliableWebSocketClient } from '../../../src/node';

const [dir, url, runText, countText, factsPath] = process.argv.slice(2);
if (!dir || !url || !runText || !countText || !factsPath)
  throw new Error('usage: kill-child.ts DIR URL RUN COUNT FACTS');
const run = Number(runText);
const count = Number(countText);
const WINDOW = 8;

setTimeout(() => process.exit(2), 20_000);
const facts = openSync(factsPath, 'a');
const write = (line: string): void => {
  writeSync(facts, `${line}\n`);
  process.stdout.write(`${line}\n`);
};

const client = new ReliableWebSocketClient(url, {
  apiKey: process.env['RXWS_API_KEY'],
  storage: new FileStorageAdapter(dir),
  enablePersistence: true,
  queueSize: 100_000,
  reconnectInterval: 20,
  maxReconnectAttempts: 1_000_000,
  backoff: { maxInterval: 100 },
  connectTimeout: 2000,
  messageTimeout: 3000,
});
client.addEventListener('messageAcknowledged', (e) => write(`acked ${e.detail.messageId}`));
client.addEventListener('messageFailed', (e) =>
  write(`failed ${e.detail.messageId} ${(e.detail.error as { code?: string }).code}`),
);
client.addEventListener('messageExpired', (e) => write(`failed ${e.detail.messageId} MESSAGE_EXPIRED`));

async function main(): Promise<void> {
  // Resolves when the handshake is done; against a dead port it never does, so do not wait for it there.
  const connected = client.connect();
  connected.catch((error: unknown) => process.stderr.write(`connect failed: ${String(error)}\n`));
  await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, 300))]);
  write('ready');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const seq = run * 1_000_000 + next++;
      const { messageId } = await client.send({ type: 'ECHO', payload: { lane: 0, seq } });
      write(`sent ${messageId}`);
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  write('done');
}

main().catch((error: unknown) => {
  process.stderr.write(`child failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
