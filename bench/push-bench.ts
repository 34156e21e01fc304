// Server → client push, a section of `npm run bench` (also alone: `npx tsx bench/push-bench.ts`;
// env PUSH_MESSAGES, PUSH_ROUNDS). One server and one Node client in this process over loopback;
// received msg/s at the client's messages$ (socket.io: at its event handler), CPU and heap per message.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once as onceEvent } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import { median } from './harness';
import { startProbe, type ProbeSample } from './process-probe';

/** The library's parts a push run needs: the work tree's, or another rev's (bench/ab-side.ts). */
export interface PushLib {
  ReliableWebSocketClient: typeof import('../src/node').ReliableWebSocketClient;
  FileStorageAdapter: typeof import('../src/node').FileStorageAdapter;
  ReliableWebSocketServer: typeof import('../src/server/index').ReliableWebSocketServer;
}

export const PUSH_MODES = [
  'at-most-once send',
  'reliable publish (memory cursor)',
  'reliable publish (file journal cursor)',
  'socket.io emit (state recovery on)',
] as const;
export type PushMode = (typeof PUSH_MODES)[number];
/** The ratio column's baseline. */
export const PUSH_BASELINE: PushMode = 'at-most-once send';
/** Issue 10's goal: reliable push >= 0.8x our at-most-once push. */
export const PUSH_TARGET = 0.8;

export interface PushResult {
  mode: PushMode;
  messagesPerSec: number;
  /** process CPU (client + server, one process) per received message, µs. */
  cpuUsPerMsg: number;
  /** V8 heap bytes allocated per received message. */
  bytesPerMsg: number;
  /** Messages that did not arrive within the run's bound (at-most-once may drop; reliable must not). */
  missing: number;
}

export interface PushOptions {
  messages: number;
  rounds: number;
  modes?: readonly PushMode[];
  lib?: PushLib;
}

const BURST = 500;
const RUN_TIMEOUT_MS = 60_000;
const PAYLOAD = { orderId: 'o-123456', symbol: 'EURUSD', side: 'BUY', qty: 100_000, px: 1.08512 };

interface Sample {
  received: number;
  ms: number;
  probe: ProbeSample;
}

/** Waits for `all` at most RUN_TIMEOUT_MS. */
async function bounded(all: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, RUN_TIMEOUT_MS)))]);
  clearTimeout(timer);
}

/** socket.io over websocket only, connection state recovery on (its 2-minute in-memory window). */
async function socketIo(messages: number): Promise<Sample> {
  const http = createServer();
  const server = new Server(http, { transports: ['websocket'], connectionStateRecovery: {} });
  http.listen(0, '127.0.0.1');
  await onceEvent(http, 'listening');
  const socket = io(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`, {
    transports: ['websocket'],
    reconnection: false,
  });
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  socket.on('FILL', () => {
    if (++received === messages) done();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const stop = startProbe();
  const started = performance.now();
  for (let sent = 0; sent < messages;) {
    for (let i = 0; i < BURST && sent < messages; i++, sent++) server.emit('FILL', PAYLOAD);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await bounded(all);
  const ms = performance.now() - started;
  const probe = stop();
  socket.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { received, ms, probe };
}

async function ours(lib: PushLib, mode: PushMode, messages: number): Promise<Sample> {
  const { ReliableWebSocketServer, ReliableWebSocketClient, FileStorageAdapter } = lib;
  // Retention above the run's size: a burst faster than the client reads would otherwise be trimmed (an announced gap).
  const server = new ReliableWebSocketServer({
    host: '127.0.0.1',
    port: 0,
    authenticate: () => 'acct',
    inboundRetention: { maxMessages: messages + 1 },
  });
  const { port } = await server.listen();
  const dir = mkdtempSync(join(tmpdir(), 'rxws-push-bench-'));
  const storage = mode.includes('file') ? new FileStorageAdapter(dir) : undefined;
  const client = new ReliableWebSocketClient(`ws://127.0.0.1:${port}`, {
    apiKey: 'k',
    enablePersistence: storage !== undefined,
    ...(storage ? { storage } : {}),
  });
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  client.messages$.subscribe(() => {
    if (++received === messages) done();
  });
  await client.connect();
  const stop = startProbe();
  const started = performance.now();
  for (let sent = 0; sent < messages;) {
    const burst: Array<Promise<unknown>> = [];
    for (let i = 0; i < BURST && sent < messages; i++, sent++) {
      if (mode === 'at-most-once send') server.send({ principal: 'acct' }, 'FILL', PAYLOAD);
      else burst.push(server.publish('principal:acct', 'FILL', PAYLOAD));
    }
    await Promise.all(burst);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await bounded(all);
  const ms = performance.now() - started;
  const probe = stop();
  await client.close();
  await storage?.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  return { received, ms, probe };
}

async function loadLib(): Promise<PushLib> {
  const node = await import('../src/node');
  const server = await import('../src/server/index');
  return {
    ReliableWebSocketClient: node.ReliableWebSocketClient,
    FileStorageAdapter: node.FileStorageAdapter,
    ReliableWebSocketServer: server.ReliableWebSocketServer,
  };
}

/**
 * Alternating rounds (forward, then backward) of each mode: a warm-up of each
 * first, then `rounds` measured runs; each figure is the median.
 */
export async function runPushBench(opts: PushOptions): Promise<PushResult[]> {
  const lib = opts.lib ?? (await loadLib());
  const modes = opts.modes ?? PUSH_MODES;
  const once = (mode: PushMode, n: number): Promise<Sample> =>
    mode === 'socket.io emit (state recovery on)' ? socketIo(n) : ours(lib, mode, n);
  const warmup = Math.min(opts.messages, 5000);
  for (const mode of modes) await once(mode, warmup);
  const samples = new Map<PushMode, Sample[]>(modes.map((m) => [m, []]));
  for (let round = 0; round < opts.rounds; round++) {
    for (const mode of round % 2 === 0 ? modes : [...modes].reverse())
      samples.get(mode)!.push(await once(mode, opts.messages));
  }
  return modes.map((mode) => {
    const runs = samples.get(mode)!;
    const med = (pick: (s: Sample) => number) => median(runs.map(pick));
    return {
      mode,
      messagesPerSec: med((s) => (s.received / s.ms) * 1000),
      cpuUsPerMsg: med((s) => s.probe.cpuUs / Math.max(1, s.received)),
      bytesPerMsg: med((s) => s.probe.allocatedBytes / Math.max(1, s.received)),
      missing: Math.max(...runs.map((s) => opts.messages - s.received)),
    };
  });
}

/** The section's table: each mode's rate as a ratio of our at-most-once push, and issue 10's target. */
export function formatPushTable(results: PushResult[], messages: number, rounds: number): string {
  const base = results.find((r) => r.mode === PUSH_BASELINE);
  const lines = [
    `Server -> client push to one client, ${messages} messages, medians of ${rounds} alternating rounds (received msg/s; CPU and alloc = the one process)`,
    `  ${'push'.padEnd(40)} ${'msg/s'.padStart(9)}  ${'ratio'.padStart(6)}  ${'CPU µs/msg'.padStart(10)}  ${'alloc B/msg'.padStart(11)}`,
  ];
  for (const r of results) {
    const ratio = base ? `${(r.messagesPerSec / base.messagesPerSec).toFixed(2)}x` : 'n/a';
    const missing = r.missing > 0 ? `  (${r.missing} did not arrive)` : '';
    lines.push(
      `  ${r.mode.padEnd(40)} ${String(Math.round(r.messagesPerSec)).padStart(9)}  ${ratio.padStart(6)}  ` +
        `${r.cpuUsPerMsg.toFixed(2).padStart(10)}  ${String(Math.round(r.bytesPerMsg)).padStart(11)}${missing}`,
    );
  }
  const reliable = results.find((r) => r.mode === 'reliable publish (memory cursor)');
  if (base && reliable) {
    const ratio = reliable.messagesPerSec / base.messagesPerSec;
    lines.push(
      `  Target: reliable push ${ratio.toFixed(2)}x at-most-once push (target >= ${PUSH_TARGET}x) ${ratio >= PUSH_TARGET ? 'met' : 'MISSED'}`,
    );
  }
  return lines.join('\n');
}

/** PUSH_MESSAGES (default 50,000) and PUSH_ROUNDS (default `fallbackRounds`). */
export function readPushEnv(fallbackRounds: number): { messages: number; rounds: number } {
  const messages = Number(process.env['PUSH_MESSAGES'] ?? 50_000);
  const rounds = Number(process.env['PUSH_ROUNDS'] ?? fallbackRounds);
  if (!Number.isInteger(messages) || messages < 1)
    throw new TypeError(`PUSH_MESSAGES must be an integer >= 1, got ${messages}`);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new TypeError(`PUSH_ROUNDS must be an integer >= 1, got ${rounds}`);
  return { messages, rounds };
}

if (require.main === module) {
  const { messages, rounds } = readPushEnv(3);
  void runPushBench({ messages, rounds })
    .then((results) => console.log(formatPushTable(results, messages, rounds)))
    .finally(() => setTimeout(() => process.exit(), 500).unref());
}
