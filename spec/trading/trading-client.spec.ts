import { MessagePriority, TradingClient, ValidationError, type TradeSignal } from '../../src/node';
import { ReliableWebSocketServer } from '../../src/server/index';
import { createTradeSignalHandler } from '../../src/cli/trade-signal-handler';

const KEY = 'trading-key';
const BUY: TradeSignal = { symbol: 'EURUSD', action: 'BUY', volume: 0.1, stopLoss: 1.18, takeProfit: 1.19 };

describe('TradingClient against the reference server', () => {
  let server: ReliableWebSocketServer;
  let handler: ReturnType<typeof createTradeSignalHandler>;
  let url: string;
  let trading: TradingClient;
  const priorities: number[] = [];

  beforeEach(async () => {
    server = new ReliableWebSocketServer({ host: '127.0.0.1', port: 0, apiKeys: [KEY] });
    handler = createTradeSignalHandler();
    server.handle('TRADE_SIGNAL', handler.handle);
    const { port } = await server.listen();
    url = `ws://127.0.0.1:${port}`;
    trading = new TradingClient(url, KEY, { enablePersistence: false });
    priorities.length = 0;
    trading.client.addEventListener('messageQueued', (e) => priorities.push(e.detail.priority));
  });

  afterEach(async () => {
    await trading.close();
    await server.close();
  });

  it('sends a valid signal as a CRITICAL TRADE_SIGNAL and resolves with the order', async () => {
    await trading.connect();
    const result = await trading.sendTradeSignal(BUY);
    expect(result).toMatchObject({ acknowledged: true, response: { orderId: 'ord-1', status: 'accepted' } });
    expect(priorities).toEqual([MessagePriority.CRITICAL]);
    expect(handler.timesProcessed(result.messageId)).toBe(1);
  });

  it.each<[string, Partial<TradeSignal>]>([
    ['a lower-case symbol', { symbol: 'eurusd' }],
    ['an unknown action', { action: 'HOLD' as TradeSignal['action'] }],
    ['a zero volume', { volume: 0 }],
    ['a BUY with stopLoss above takeProfit', { stopLoss: 1.2, takeProfit: 1.19 }],
    ['a SELL with stopLoss below takeProfit', { action: 'SELL' }],
  ])('rejects %s with ValidationError and sends nothing', async (_what, change) => {
    await trading.connect();
    await expect(trading.sendTradeSignal({ ...BUY, ...change })).rejects.toBeInstanceOf(ValidationError);
    expect(priorities).toEqual([]);
    expect(trading.getStats()).toMatchObject({ messagesSent: 0, queueSize: 0 });
    expect(handler.processed).toBe(0);
  });

  it('reports stats after a signal: sent, acknowledged, connected', async () => {
    await trading.connect();
    await trading.sendTradeSignal(BUY);
    expect(trading.getStats()).toMatchObject({
      state: 'connected',
      messagesSent: 1,
      messagesAcknowledged: 1,
      queueSize: 0,
      inFlight: 0,
    });
  });

  it('queues signals sent before connect() and delivers them once connected', async () => {
    const pending = trading.sendTradeSignal(BUY);
    await trading.connect();
    expect((await pending).acknowledged).toBe(true);
    expect(handler.accepted).toBe(1);
    await trading.disconnect();
    expect(trading.getStats().state).toBe('disconnected');
  });
});
