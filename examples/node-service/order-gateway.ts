// A Node service that forwards trade signals from an internal queue to the
// trading server, effectively once, surviving restarts (file journal) and
// network drops. Run: npx tsx examples/node-service/order-gateway.ts
import { ReliableWebSocketServer } from 'rx-reliable-ws/server';
import { ConnectionState, TradingClient, type TradeSignal } from 'rx-reliable-ws';

async function main(): Promise<void> {
  // The trading server (in production, another process or host).
  const server = new ReliableWebSocketServer({ host: '127.0.0.1', port: 0, apiKeys: ['gateway-key'] });
  let orders = 0;
  server.handle('TRADE_SIGNAL', (signal: TradeSignal, ctx) => {
    orders++;
    console.log(
      `server: order ${orders} from ${ctx.clientId}: ${signal.action} ${signal.volume} ${signal.symbol}`,
    );
    return { orderId: `ord-${orders}`, status: 'accepted' };
  });
  const { port } = await server.listen();

  // The gateway: persisted under ./.rx-reliable-ws/order-gateway (survives kill -9).
  const trading = new TradingClient(`ws://127.0.0.1:${port}`, 'gateway-key', {
    storageKey: 'order-gateway',
    maxReconnectAttempts: Infinity,
    backoff: { maxInterval: 10_000 },
  });
  trading.client.state$.subscribe((state) => console.log(`gateway: ${state}`));
  trading.client.addEventListener('messageFailed', (e) =>
    console.error(`gateway: order ${e.detail.messageId} failed: ${e.detail.error.message}`),
  );
  await trading.connect();

  const signals: TradeSignal[] = [
    { symbol: 'EURUSD', action: 'BUY', volume: 0.1, stopLoss: 1.08, takeProfit: 1.1 },
    { symbol: 'GBPJPY', action: 'SELL', volume: 0.2, stopLoss: 191, takeProfit: 188 },
  ];
  for (const signal of signals) {
    const result = await trading.sendTradeSignal(signal);
    console.log(
      `gateway: ${result.acknowledged ? 'accepted' : 'refused'}`,
      result.response ?? result.error?.code,
    );
  }
  console.log('gateway stats:', trading.getStats());

  await trading.close();
  await server.close();
  if (trading.getStats().state !== ConnectionState.DISCONNECTED) process.exitCode = 1;
}

void main();
