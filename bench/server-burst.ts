/**
 * The server's own share of the burst: `npx tsx bench/server-burst.ts [<src dir>...]`.
 * For each `src/` given (default this tree's; `.tmp/ab/<sha>/src` as bench/ab.ts extracts a rev),
 * alternately: the reference server in a child process on that `src/`, this tree's client in
 * this one, BENCH_MESSAGES (50000) `sendWithAcknowledgement` calls then one wait, BENCH_RUNS (3)
 * measured runs after a warm-up; prints the server child's CPU per message, its GC time as a
 * share of its CPU and its allocation per message (medians). The client's figures are left out.
 */
import * as path from 'node:path';
import { ReliableWebSocketClient } from '../src/node';
import { acknowledgedSend, median, runOnce } from './harness';
import { startPeerServer, type RunningServer } from './peer-server';

const SRC_ENV = 'SERVER_BURST_SRC';

/** Runs in the server child (bench/server-host.ts imports this module): the server of `SERVER_BURST_SRC`. */
export async function startServer(): Promise<RunningServer> {
  const src = process.env[SRC_ENV] ?? path.join(__dirname, '..', 'src');
  const lib = (await import(path.join(src, 'server', 'index'))) as typeof import('../src/server/index');
  const server = new lib.ReliableWebSocketServer({ host: '127.0.0.1', port: 0, apiKeys: ['bench-key'] });
  server.handle('signal', () => undefined);
  const { port } = await server.listen();
  return { port, close: () => server.close() };
}

interface ServerFigures {
  cpuUs: number;
  gcPct: number;
  bytes: number;
}

async function measureServer(src: string, messages: number, runs: number): Promise<ServerFigures> {
  process.env[SRC_ENV] = path.resolve(src);
  const server = await startPeerServer(__filename, startServer, 'child');
  const client = new ReliableWebSocketClient(`ws://127.0.0.1:${server.port}`, {
    apiKey: 'bench-key',
    maxInFlight: messages,
    queueSize: messages + 1,
    messageTimeout: 60_000,
  });
  try {
    await client.connect();
    const send = acknowledgedSend(client);
    await runOnce(send, Math.min(messages, 5000), 'burst', 60_000);
    const rows: ServerFigures[] = [];
    for (let run = 0; run < runs; run++) {
      await server.probe!.start();
      await runOnce(send, messages, 'burst', 60_000);
      const sample = await server.probe!.stop();
      rows.push({
        cpuUs: sample.cpuUs / messages,
        gcPct: (100 * sample.gcUs) / sample.cpuUs,
        bytes: sample.allocatedBytes / messages,
      });
    }
    const med = (pick: (r: ServerFigures) => number): number => median(rows.map(pick));
    return { cpuUs: med((r) => r.cpuUs), gcPct: med((r) => r.gcPct), bytes: med((r) => r.bytes) };
  } finally {
    await client.close();
    await server.close();
  }
}

async function main(): Promise<void> {
  const srcs = process.argv.length > 2 ? process.argv.slice(2) : [path.join(__dirname, '..', 'src')];
  const messages = Number(process.env.BENCH_MESSAGES ?? 50_000);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const rounds = Number(process.env.SERVER_BURST_ROUNDS ?? 3);
  for (let round = 1; round <= rounds; round++) {
    for (const src of round % 2 === 1 ? srcs : [...srcs].reverse()) {
      const f = await measureServer(src, messages, runs);
      console.log(
        `[round ${round}/${rounds}] ${src}: server ${f.cpuUs.toFixed(2)} µs CPU/msg, ` +
          `GC ${f.gcPct.toFixed(1)} % of its CPU, ${Math.round(f.bytes)} B/msg allocated`,
      );
    }
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
