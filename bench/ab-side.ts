// Child of bench/ab.ts: the rx-reliable-ws bench (client + server in this process) on the `src/` given as argv[2].
import * as path from 'node:path';
import { measure, readBenchEnv, tradeSignal, type SendFn } from './harness';

interface Lib {
  ReliableWebSocketClient: typeof import('../src/node').ReliableWebSocketClient;
}
interface ServerLib {
  ReliableWebSocketServer: typeof import('../src/server/index').ReliableWebSocketServer;
}

async function main(): Promise<void> {
  const src = process.argv[2];
  const { ReliableWebSocketClient } = (await import(path.join(src, 'node'))) as Lib;
  const { ReliableWebSocketServer } = (await import(path.join(src, 'server', 'index'))) as ServerLib;
  const env = readBenchEnv();
  const server = new ReliableWebSocketServer({ host: '127.0.0.1', port: 0, apiKeys: ['bench-key'] });
  server.handle('signal', () => undefined);
  const { port } = await server.listen();
  const client = new ReliableWebSocketClient(`ws://127.0.0.1:${port}`, {
    apiKey: 'bench-key',
    enablePersistence: false,
    maxInFlight: env.window === 'burst' ? env.messages : env.window,
    queueSize: env.messages + 1,
    messageTimeout: 30_000,
  });
  try {
    await client.connect();
    const send: SendFn = (seq, done) => {
      client
        .sendWithAcknowledgement({ type: 'signal', payload: tradeSignal(seq) })
        .then((result) => done(result.acknowledged ? undefined : result.error), done);
    };
    const result = await measure(
      'rx-reliable-ws',
      { messages: env.messages, window: env.window, runs: 1 },
      send,
      env,
    );
    process.send?.({ result });
  } finally {
    await client.close();
    await server.close();
  }
}

main()
  .catch((error: unknown) =>
    process.send?.({ error: error instanceof Error ? error.message : String(error) }),
  )
  .finally(() => setTimeout(() => process.exit(0), 100));
