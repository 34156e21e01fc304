/**
 * Child process for the output-amplification spec (spec/hostile/output-amplification.spec.ts):
 * `node --import tsx spec/helpers/output-attack-child.ts API_KEY RESPONSE_BYTES`.
 *
 * Runs the reference server with defaults (only `apiKeys`), a `HISTORY`
 * handler answering RESPONSE_BYTES of JSON and a `PING` echo. Prints `listening <port>`, then
 * answers each `stats` line on stdin with one JSON line: peak RSS (sampled
 * every 10 ms), `error` events seen, server stats. Exits on stdin's end or
 * after a 30 s safety limit; a crash shows as an exit the parent sees.
 */
import { createInterface } from 'node:readline';
import { ReliableWebSocketServer } from '../../src/server/index';

const [apiKey, bytesArg] = process.argv.slice(2);
if (!apiKey) throw new Error('usage: output-attack-child.ts API_KEY RESPONSE_BYTES');
const history = 'h'.repeat(Number(bytesArg ?? 60_000));

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10);
const errors: string[] = [];
const server = new ReliableWebSocketServer({ port: 0, apiKeys: [apiKey] });
server.events$.subscribe((event) => {
  if (event.type === 'error') errors.push(String((event.error as Error)?.message ?? event.error));
});
server.handle('HISTORY', () => ({ history }));
server.handle('PING', (payload) => payload);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line !== 'stats') return;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  process.stdout.write(`${JSON.stringify({ peakRss, errors, stats: server.stats() })}\n`);
});
lines.on('close', () => process.exit(0));
setTimeout(() => process.exit(3), 30_000).unref();

server.listen().then(
  ({ port }) => {
    sampler.unref();
    process.stdout.write(`listening ${port}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(2);
  },
);
