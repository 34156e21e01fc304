import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import {
  measure,
  readBenchEnv,
  tradeSignal,
  type BenchOptions,
  type BenchResult,
  type SendFn,
} from '../harness';
import { startPeerServer, type RunningServer } from '../peer-server';

/** socket.io over the websocket transport only (no polling upgrade); the handler acks each signal. */
export async function startServer(): Promise<RunningServer> {
  const http = createServer();
  const server = new Server(http, { transports: ['websocket'] });
  server.on('connection', (socket) => {
    socket.on('signal', (payload: { seq: number }, ack: (reply: unknown) => void) =>
      ack({ seq: payload.seq }),
    );
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return {
    port: (http.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `emitWithAck` with no timeout: socket.io's plain acknowledgement path. */
export function bench(opts: BenchOptions): Promise<BenchResult> {
  return run('socket.io emitWithAck', opts, {});
}

/**
 * The client's `retries` mode (with `ackTimeout`, which retries need): socket.io
 * then queues packets and keeps only one unacknowledged, whatever the window.
 */
export function benchWithRetries(opts: BenchOptions): Promise<BenchResult> {
  return run('socket.io retries', opts, { retries: 3, ackTimeout: 10_000 });
}

async function run(
  name: string,
  opts: BenchOptions,
  clientOptions: { retries?: number; ackTimeout?: number },
): Promise<BenchResult> {
  const env = readBenchEnv();
  const server = await startPeerServer(__filename, startServer, env.serverMode);
  const socket: Socket = io(`ws://127.0.0.1:${server.port}`, {
    transports: ['websocket'],
    reconnection: false,
    ...clientOptions,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const send: SendFn = (seq, done) => {
      socket.emitWithAck('signal', tradeSignal(seq)).then(() => done(), done);
    };
    return await measure(name, opts, send, { ...env, server });
  } finally {
    socket.disconnect();
    await server.close();
  }
}
