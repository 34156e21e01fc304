/**
 * Child process of the server kill -9 spec (spec/reliability/inbound-server-kill.spec.ts):
 * `node --import tsx spec/reliability/helpers/inbound-server-child.ts DIR PORT STREAM FACTS TOTAL`.
 *
 * Runs the reference server on PORT with a `FileInboundLog` on DIR and
 * publishes `{ n }` on STREAM, continuing after the log's newest seq (so n is
 * the seq), up to TOTAL. Once a publish has resolved it writes
 * `published <n>` to FACTS synchronously (a kill cannot lose the line).
 * Prints `ready` once listening, starts publishing once a client session is
 * open, prints `done` after TOTAL. The parent kills it.
 */
import { writeSync, openSync } from 'node:fs';
import { FileInboundLog, ReliableWebSocketServer } from '../../../src/server/index';

const [dir, portArg, stream, factsPath, totalArg] = process.argv.slice(2);
if (!dir || !portArg || !stream || !factsPath || !totalArg)
  throw new Error('usage: inbound-server-child.ts DIR PORT STREAM FACTS TOTAL');
setTimeout(() => process.exit(3), 20_000).unref();

async function main(): Promise<void> {
  const facts = openSync(factsPath!, 'a');
  const log = new FileInboundLog(dir!);
  const server = new ReliableWebSocketServer({
    host: '127.0.0.1',
    port: Number(portArg),
    apiKeys: [process.env['RXWS_API_KEY']!],
    inboundLog: log,
    heartbeatInterval: 0,
  });
  await server.listen();
  process.stdout.write('ready\n');
  // Publishing starts once the client is back (the first run: once it subscribed), so every publish is one it must get.
  while (server.stats().sessions === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  const from = (await log.position(stream!)).lastSeq + 1;
  for (let n = from; n <= Number(totalArg); n++) {
    await server.publish(stream!, 'EXECUTION_REPORT', { n });
    writeSync(facts, `published ${n}\n`);
    if (n % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  process.stdout.write('done\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`inbound-server-child failed: ${String(error)}\n`);
  process.exit(1);
});
