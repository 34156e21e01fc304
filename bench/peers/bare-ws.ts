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
export function bench(opts: BenchOptions): Promise<BenchResult> {
  return run(BARE_WS_NAME, opts, (pending, write) => (seq, done) => {
    pending.set(write(seq), done);
  });
}

export const BARE_WS_PROMISE_NAME = 'bare ws ack, promise per send';

/** What the pending map's entries are called with: nothing when acked, the error when the socket closed. */
type Settle = (error?: unknown) => void;

/** `new Promise(capture)` hands its resolver to `captured`: no executor closure per send, as in our client. */
let captured: Settle | undefined;
const capture = (resolve: Settle): void => {
  captured = resolve;
};

/**
 * The same wire, but each send returns a promise settled by its ack, consumed as the
 * harness consumes our client's (bench/harness.ts acknowledgedSend): what any
 * promise-returning API costs before it does anything else. A reference for the GC
 * and allocation figures of the burst, where every pending promise outlives the
 * young-generation collections.
 */
export function benchWithPromises(opts: BenchOptions): Promise<BenchResult> {
  return run(BARE_WS_PROMISE_NAME, opts, (pending, write) => {
    const sendWithAck = (seq: number): Promise<unknown> => {
      const acked = new Promise<unknown>(capture);
      pending.set(write(seq), captured!);
      return acked;
    };
    return (seq, done) => {
      sendWithAck(seq).then((error) => done(error), done);
    };
  });
}

/**
 * Connects a bare `ws` client and measures the `SendFn` that `makeSend` builds from the
 * pending map (id -> settle) and `write` (sends a trade signal, returns its id).
 */
async function run(
  name: string,
  opts: BenchOptions,
  makeSend: (pending: Map<number, Settle>, write: (seq: number) => number) => SendFn,
): Promise<BenchResult> {
  const env = readBenchEnv();
  const server = await startPeerServer(__filename, startServer, env.serverMode);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: false });
  try {
    await once(ws, 'open');
    const pending = new Map<number, Settle>();
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
    const write = (seq: number): number => {
      const id = ++nextId;
      ws.send(JSON.stringify({ type: 'signal', id, payload: tradeSignal(seq) }));
      return id;
    };
    return await measure(name, opts, makeSend(pending, write), { ...env, server });
  } finally {
    ws.terminate();
    await server.close();
  }
}
