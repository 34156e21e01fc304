// The seed specification's examples, run as written (only the import path and the
// port differ): what it promises a user must work in Node against the reference server.
import {
  HeartbeatManager,
  MemoryStorageAdapter,
  MessagePriority,
  MessageQueue,
  ReliableWebSocketClient,
  TradingClient,
} from '../../src/node';
import { createTradeSignalHandler } from '../../src/cli/trade-signal-handler';
import { ReliableWebSocketServer } from '../../src/server/index';

describe('the seed examples', () => {
  let server: ReliableWebSocketServer;
  let url: string;
  const signal = { symbol: 'EURUSD', action: 'BUY', volume: 0.1, stopLoss: 1.18, takeProfit: 1.19 } as const;

  beforeEach(async () => {
    server = new ReliableWebSocketServer({ port: 0, apiKeys: ['your-api-key'] });
    server.handle('TRADE_SIGNAL', createTradeSignalHandler().handle);
    const { port } = await server.listen();
    url = `ws://localhost:${port}`;
  });
  afterEach(() => server.close());

  it('Basic Usage: connect, sendWithAcknowledgement, disconnect', async () => {
    const client = new ReliableWebSocketClient(url, {
      apiKey: 'your-api-key',
      reconnect: true,
      reconnectInterval: 2000,
      maxReconnectAttempts: 10,
      heartbeatInterval: 5000,
      enableQueue: true,
      enablePersistence: false,
    });
    await client.connect();
    const result = await client.sendWithAcknowledgement({
      type: 'TRADE_SIGNAL',
      payload: { symbol: 'EURUSD', action: 'BUY', volume: 0.1 },
    });
    expect(result.acknowledged).toBe(true);
    await client.disconnect();
    await client.close();
  });

  it('Trading Client Integration: connect, sendTradeSignal, getStats', async () => {
    const tradingClient = new TradingClient(url, 'your-api-key', { enablePersistence: false });
    await tradingClient.connect();
    const result = await tradingClient.sendTradeSignal(signal);
    expect(result.acknowledged).toBe(true);
    const stats = tradingClient.getStats();
    expect(stats).toMatchObject({ messagesAcknowledged: 1, state: 'connected' });
    await tradingClient.close();
  });

  it('MessageQueue with the seed config', async () => {
    const queue = new MessageQueue(
      {
        maxSize: 1000,
        enablePersistence: true,
        storageKey: 'trading_queue',
        defaultPriority: MessagePriority.NORMAL,
        defaultTTL: 300000,
      },
      new MemoryStorageAdapter(),
    );
    await queue.ready;
    await queue.enqueue({ type: 'TRADE_SIGNAL', payload: signal });
    await queue.enqueue({ type: 'CANCEL', payload: {} }, { priority: MessagePriority.CRITICAL });
    expect(queue.size).toBe(2);
    expect(queue.dequeue()?.type).toBe('CANCEL');
    expect(queue.dequeue()?.type).toBe('TRADE_SIGNAL');
    await queue.close();
  });

  it('HeartbeatManager with the seed callbacks', async () => {
    const pongs: number[] = [];
    const heartbeatManager = new HeartbeatManager(
      { interval: 5000, timeout: 3000, maxMissed: 3 },
      {
        onPing: () => undefined,
        onPong: (latency) => pongs.push(latency),
        onTimeout: () => undefined,
        onConnectionLost: () => undefined,
      },
    );
    heartbeatManager.start(() => heartbeatManager.handlePong());
    heartbeatManager.stop();
    expect(pongs).toHaveLength(1);
  });
});
