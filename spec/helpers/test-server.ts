import { ReliableWebSocketServer, type ReliableWebSocketServerOptions } from '../../src/server/index';

export const API_KEY = 'test-key-0123456789';

export interface TestServer {
  server: ReliableWebSocketServer;
  port: number;
  url: string;
  /** How many times the handler ran per message id. */
  processed: Map<string, number>;
  /** Payloads in the order the handler saw them. */
  order: unknown[];
  close(): Promise<void>;
}

/**
 * A real reference server on 127.0.0.1 (port 0 unless given) with an `ECHO`
 * handler that counts executions per message id, so specs can count what was
 * lost and what ran twice.
 */
export async function startTestServer(
  options: Partial<ReliableWebSocketServerOptions> = {},
  handler: (payload: unknown) => unknown = (payload) => ({ echo: payload }),
): Promise<TestServer> {
  const server = new ReliableWebSocketServer({ host: '127.0.0.1', port: 0, apiKeys: [API_KEY], ...options });
  const processed = new Map<string, number>();
  const order: unknown[] = [];
  server.handle('ECHO', (payload, ctx) => {
    processed.set(ctx.messageId, (processed.get(ctx.messageId) ?? 0) + 1);
    order.push(payload);
    return handler(payload);
  });
  const { port } = await server.listen();
  return { server, port, url: `ws://127.0.0.1:${port}`, processed, order, close: () => server.close() };
}
