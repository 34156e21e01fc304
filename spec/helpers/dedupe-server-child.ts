/**
 * Child process for the server-kill spec (spec/server/durable-dedupe-kill.spec.ts):
 * `node --import tsx spec/helpers/dedupe-server-child.ts DIR PORT SIDE_FILE RUN KILL_AFTER`.
 *
 * Runs the reference server with a `FileDedupeStore` on DIR. Its `ORDER`
 * handler appends `<messageId> <RUN>` to SIDE_FILE (synchronously, so a kill
 * cannot lose the line), waits 0-3 ms and answers `{ order, run: RUN }`. With KILL_AFTER > 0
 * the process SIGKILLs itself as soon as the KILL_AFTER-th outcome is on disk
 * (`complete` resolved) — after the message was handled and its outcome made
 * durable, before the ack can be written. Prints `listening <port>`.
 * A safety limit ends it after 20 s.
 */
import { appendFileSync } from 'node:fs';
import { FileDedupeStore, ReliableWebSocketServer, type DedupeStore } from '../../src/server/index';

const [dir, portArg, sideFile, runArg, killAfterArg] = process.argv.slice(2);
if (!dir || !sideFile) throw new Error('usage: dedupe-server-child.ts DIR PORT SIDE_FILE RUN KILL_AFTER');
const run = Number(runArg);
const killAfter = Number(killAfterArg ?? 0);

const file = new FileDedupeStore(dir);
let completes = 0;
const store: DedupeStore = {
  ready: file.ready,
  get: (key, now) => file.get(key, now),
  begin: (key, expiresAt) => file.begin(key, expiresAt),
  complete: (key, outcome, expiresAt) =>
    file.complete(key, outcome, expiresAt).then(() => {
      // The dispatcher's reply is chained behind this promise: the ack cannot have been queued yet.
      if (++completes === killAfter) process.kill(process.pid, 'SIGKILL');
    }),
  evictExpired: (now) => file.evictExpired(now),
  size: () => file.size(),
};

const server = new ReliableWebSocketServer({
  port: Number(portArg),
  dedupeStore: store,
  heartbeatInterval: 0,
});
server.handle('ORDER', async (_payload, ctx) => {
  // The effect first (an order placed), then a confirmation of random length: a kill
  // in between leaves an effect without a recorded outcome, the case dedupe must not run twice.
  appendFileSync(sideFile, `${ctx.messageId} ${run}\n`);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
  return { order: `ord-${ctx.messageId}`, run };
});

server.listen().then(
  ({ port }) => process.stdout.write(`listening ${port}\n`),
  (error: unknown) => {
    process.stderr.write(`listen failed: ${String(error)}\n`);
    process.exit(1);
  },
);
setTimeout(() => process.exit(3), 20_000).unref();
