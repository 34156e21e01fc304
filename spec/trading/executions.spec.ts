import { firstValueFrom, take, toArray } from 'rxjs';
import { EXECUTION_REPORT, TradingClient, type ExecutionReport, type TradeSignal } from '../../src/node';
import { ReliableWebSocketServer } from '../../src/server/index';

const BUY: TradeSignal = { symbol: 'EURUSD', action: 'BUY', volume: 0.1 };

describe('TradingClient.executions$', () => {
  let server: ReliableWebSocketServer;
  let trading: TradingClient;

  beforeEach(async () => {
    server = new ReliableWebSocketServer({ port: 0, authenticate: (key) => (key === 'k' ? 'acct-1' : null) });
    server.handle('TRADE_SIGNAL', async (payload, ctx) => {
      const signal = payload as TradeSignal;
      const report: ExecutionReport = {
        orderId: `o-${ctx.messageId}`,
        signalId: ctx.messageId,
        symbol: signal.symbol,
        action: signal.action,
        volume: signal.volume,
        status: 'FILLED',
      };
      await server.publish('principal:' + ctx.principal, EXECUTION_REPORT, report);
      return { orderId: report.orderId };
    });
    const { port } = await server.listen();
    trading = new TradingClient(`ws://127.0.0.1:${port}`, 'k', { enablePersistence: false });
  });

  afterEach(async () => {
    await trading.close();
    await server.close();
  });

  it('emits the execution report of each accepted signal, typed, once, in order', async () => {
    await trading.connect();
    const reports = firstValueFrom(trading.executions$.pipe(take(3), toArray()));
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await trading.sendTradeSignal(BUY));
    const received = await reports;
    expect(received.map((r) => r.report.signalId)).toEqual(results.map((r) => r.messageId));
    expect(received.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(received[0]).toMatchObject({
      stream: 'principal:acct-1',
      redelivered: false,
      report: { symbol: 'EURUSD', action: 'BUY', volume: 0.1, status: 'FILLED' },
    });
  });

  it('ignores pushes that are not execution reports', async () => {
    await trading.connect();
    const next = firstValueFrom(trading.executions$);
    server.send({ principal: 'acct-1' }, 'PRICE', { bid: 1.1 });
    await server.publish('principal:acct-1', 'NOTE', { text: 'not a report' });
    await trading.sendTradeSignal(BUY);
    expect((await next).seq).toBe(2);
  });
});
