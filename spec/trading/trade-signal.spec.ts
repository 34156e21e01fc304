import { ValidationError, validateTradeSignal } from '../../src/index';

const SIGNAL = { symbol: 'EURUSD', action: 'BUY', volume: 0.1, stopLoss: 1.18, takeProfit: 1.19 };

describe('validateTradeSignal', () => {
  it.each([
    [SIGNAL],
    [{ symbol: 'GBPJPY', action: 'SELL', volume: 2, stopLoss: 190, takeProfit: 180 }],
    [{ symbol: 'USDCHF', action: 'BUY', volume: 1 }],
    [{ symbol: 'USDCHF', action: 'BUY', volume: 1, stopLoss: 0.9 }],
  ])('accepts %j', (signal) => {
    expect(() => validateTradeSignal(signal)).not.toThrow();
  });

  it.each([
    [null, undefined],
    [[], undefined],
    [{ ...SIGNAL, symbol: 'eurusd' }, 'symbol'],
    [{ ...SIGNAL, symbol: 'EURUSDX' }, 'symbol'],
    [{ ...SIGNAL, action: 'HOLD' }, 'action'],
    [{ ...SIGNAL, volume: -1 }, 'volume'],
    [{ ...SIGNAL, volume: Infinity }, 'volume'],
    [{ ...SIGNAL, volume: '1' }, 'volume'],
    [{ ...SIGNAL, stopLoss: 0 }, 'stopLoss'],
    [{ ...SIGNAL, takeProfit: NaN }, 'takeProfit'],
    [{ ...SIGNAL, stopLoss: 1.2, takeProfit: 1.19 }, 'stopLoss'],
    [{ ...SIGNAL, action: 'SELL' }, 'stopLoss'],
  ])('refuses %j (field %s)', (signal, field) => {
    let error: unknown;
    try {
      validateTradeSignal(signal);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as ValidationError).code).toBe('VALIDATION_ERROR');
  });
});
