import { ReliableWebSocketServer, type ReliableWebSocketServerOptions } from '../../src/server/index';

/**
 * Starts reference servers on 127.0.0.1 port 0 for one spec file and closes
 * them after each test. Call at the top level of the file.
 */
export function useServers(): (
  options?: ReliableWebSocketServerOptions,
) => Promise<{ server: ReliableWebSocketServer; url: string }> {
  const servers: ReliableWebSocketServer[] = [];
  afterEach(() => Promise.all(servers.splice(0).map((s) => s.close())));
  return async (options = {}) => {
    const server = new ReliableWebSocketServer({ port: 0, ...options });
    servers.push(server);
    const { port } = await server.listen();
    return { server, url: `ws://127.0.0.1:${port}` };
  };
}
