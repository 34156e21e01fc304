// Reliable push vs at-most-once push: `npx tsx bench/push-bench.ts` (PUSH_MESSAGES, PUSH_ROUNDS).
// One server and one Node client in this process over loopback; received msg/s at the client's messages$.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once as onceEvent } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import { FileStorageAdapter, ReliableWebSocketClient } from '../src/node';
import { ReliableWebSocketServer } from '../src/server/index';

const MESSAGES = Number(process.env['PUSH_MESSAGES'] ?? 20_000);
const ROUNDS = Number(process.env['PUSH_ROUNDS'] ?? 3);
const BURST = 500;
const PAYLOAD = { orderId: 'o-123456', symbol: 'EURUSD', side: 'BUY', qty: 100_000, px: 1.08512 };

type Mode =
  | 'at-most-once send'
  | 'reliable publish (memory cursor)'
  | 'reliable publish (file journal cursor)'
  | 'socket.io emit (state recovery on)';

/** socket.io over websocket only, connection state recovery on (its 2-minute in-memory window). */
async function socketIo(): Promise<number> {
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
    if (++received === MESSAGES) done();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const started = performance.now();
  for (let sent = 0; sent < MESSAGES;) {
    for (let i = 0; i < BURST && sent < MESSAGES; i++, sent++) server.emit('FILL', PAYLOAD);
    await new Promise((resolve) => setImmediate(resolve));
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, 60_000)))]);
  clearTimeout(timer);
  const ms = performance.now() - started;
  socket.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return (received / ms) * 1000;
}

async function once(mode: Mode): Promise<number> {
  if (mode === 'socket.io emit (state recovery on)') return socketIo();
  // Retention above the run's size: a burst faster than the client reads would otherwise be trimmed (an announced gap).
  const server = new ReliableWebSocketServer({
    port: 0,
    authenticate: () => 'acct',
    inboundRetention: { maxMessages: MESSAGES + 1 },
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
    if (++received === MESSAGES) done();
  });
  await client.connect();
  const started = performance.now();
  for (let sent = 0; sent < MESSAGES;) {
    const burst: Array<Promise<unknown>> = [];
    for (let i = 0; i < BURST && sent < MESSAGES; i++, sent++) {
      if (mode === 'at-most-once send') server.send({ principal: 'acct' }, 'FILL', PAYLOAD);
      else burst.push(server.publish('principal:acct', 'FILL', PAYLOAD));
    }
    await Promise.all(burst);
    await new Promise((resolve) => setImmediate(resolve));
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, 60_000)))]);
  clearTimeout(timer);
  const ms = performance.now() - started;
  if (received < MESSAGES)
    console.error(`${mode}: only ${received}/${MESSAGES} arrived (at-most-once may drop)`);
  await client.close();
  await storage?.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  return (received / ms) * 1000;
}

async function main(): Promise<void> {
  const modes: Mode[] = [
    'at-most-once send',
    'reliable publish (memory cursor)',
    'reliable publish (file journal cursor)',
    'socket.io emit (state recovery on)',
  ];
  const rates = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? modes : [...modes].reverse())
      rates.get(mode)!.push(await once(mode));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(rates.get('at-most-once send')!);
  console.log(`push to one client, ${MESSAGES} messages, median of ${ROUNDS} rounds (received msg/s):`);
  for (const mode of modes) {
    const rate = median(rates.get(mode)!);
    console.log(
      `  ${mode.padEnd(40)} ${String(Math.round(rate)).padStart(8)} msg/s  ${(rate / base).toFixed(2)}x`,
    );
  }
}

void main().finally(() => setTimeout(() => process.exit(), 500).unref());
