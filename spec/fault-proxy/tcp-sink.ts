import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP server that hands each accepted socket to the test, so both ends are under its control. */
export interface TcpSink {
  port: number;
  nextSocket(): Promise<net.Socket>;
  close(): Promise<void>;
}

export async function startSink(): Promise<TcpSink> {
  const accepted: net.Socket[] = [];
  const all = new Set<net.Socket>();
  const waiters: Array<(socket: net.Socket) => void> = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => undefined);
    all.add(socket);
    socket.on('close', () => all.delete(socket));
    const waiter = waiters.shift();
    if (waiter) waiter(socket);
    else accepted.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    nextSocket: () => {
      const ready = accepted.shift();
      if (ready) return Promise.resolve(ready);
      return withDeadline(new Promise((resolve) => waiters.push(resolve)), 'an accepted socket');
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of all) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export function connect(port: number): Promise<net.Socket> {
  return withDeadline(
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
      socket.once('error', reject);
    }),
    'a connection',
  );
}

/** Collects bytes until `n` arrived; rejects after the deadline. */
export function readBytes(socket: net.Socket, n: number, ms = 3000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  return withDeadline(
    new Promise((resolve) => {
      const onData = (chunk: Buffer) => {
        chunks.push(chunk);
        got += chunk.length;
        if (got >= n) {
          socket.off('data', onData);
          resolve(Buffer.concat(chunks));
        }
      };
      socket.on('data', onData);
    }),
    `${n} bytes`,
    ms,
  );
}

/**
 * Resolves with the socket's error code, or 'close' if it closed without one;
 * with `endCounts`, an end-of-stream resolves early with 'end'.
 */
export function closeReason(socket: net.Socket, endCounts = false): Promise<string> {
  return withDeadline(
    new Promise((resolve) => {
      let code = 'close';
      socket.on('error', (error: NodeJS.ErrnoException) => (code = error.code ?? 'error'));
      socket.on('close', () => resolve(code));
      if (endCounts) socket.on('end', () => resolve('end'));
    }),
    'the socket to close',
  );
}

/** Waits for a condition on counters; bounded, never a fixed sleep. */
export async function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function withDeadline<T>(promise: Promise<T>, what: string, ms = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
