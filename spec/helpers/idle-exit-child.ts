// Connects, sends one message, disconnects, stops its server and returns: the process must then exit
// by itself. A timer left behind by the client (say, a message's 5-minute TTL) would keep it alive.
import { ReliableWebSocketClient } from '../../src/node';
import { ReliableWebSocketServer } from '../../src/server/index';

async function main(): Promise<void> {
  const server = new ReliableWebSocketServer({ host: '127.0.0.1', port: 0 });
  server.handle('PING', () => 'pong');
  const { port } = await server.listen();
  const client = new ReliableWebSocketClient(`ws://127.0.0.1:${port}`, { enablePersistence: false });
  await client.connect();
  const result = await client.sendWithAcknowledgement({ type: 'PING' });
  await client.disconnect();
  await server.close();
  process.stdout.write(`acknowledged=${result.acknowledged}\n`);
}

void main();
