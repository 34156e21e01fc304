import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import {
  measure,
  readBenchEnv,
  tradeSignal,
  type BenchOptions,
  type BenchResult,
  type SendFn,
} from '../harness';
import { startPeerServer, type RunningServer } from '../peer-server';

export const BARE_WS_NAME = 'bare ws ack';

/** The baseline: a `ws` server that parses each frame and replies `{ type: 'ack', id }`. */
export async function startServer(): Promise<RunningServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id: number };
      socket.send(JSON.stringify({ type: 'ack', id: message.id }));
    });
  });
  return {
    port: (wss.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Bare `ws` client: JSON frames with an id, a Map of pending ids resolved by the acks. */
export async function bench(opts: BenchOptions): Promise<BenchResult> {
  const env = readBenchEnv();
  const server = await startPeerServer(__filename, startServer, env.serverMode);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: false });
  try {
    await once(ws, 'open');
    const pending = new Map<number, (error?: unknown) => void>();
    let nextId = 0;
    ws.on('message', (data) => {
      const ack = JSON.parse(String(data)) as { id: number };
      const done = pending.get(ack.id);
      if (done) {
        pending.delete(ack.id);
        done();
      }
    });
    ws.on('close', () => {
      for (const done of pending.values()) done(new Error('connection closed'));
      pending.clear();
    });
    const send: SendFn = (seq, done) => {
      const id = ++nextId;
      pending.set(id, done);
      ws.send(JSON.stringify({ type: 'signal', id, payload: tradeSignal(seq) }));
    };
    return await measure(BARE_WS_NAME, opts, send, { ...env, server });
  } finally {
    ws.terminate();
    await server.close();
  }
}
