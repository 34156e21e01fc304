import { ValidationError } from '../protocol/errors';
import { invalidOption, isPositiveNumber } from '../protocol/option-checks';

export type TradeAction = 'BUY' | 'SELL';

/** The seed's trade signal. Prices are in quote currency. */
export interface TradeSignal {
  /** Six capital letters, e.g. `EURUSD`. */
  symbol: string;
  action: TradeAction;
  /** Lots; positive and finite. */
  volume: number;
  stopLoss?: number;
  takeProfit?: number;
}

const SYMBOL = /^[A-Z]{6}$/;

/**
 * Throws a ValidationError naming the first bad field. A BUY's stop-loss lies
 * below its take-profit, a SELL's above (checked when both are given).
 */
export function validateTradeSignal(signal: unknown): asserts signal is TradeSignal {
  if (typeof signal !== 'object' || !signal || Array.isArray(signal)) {
    throw new ValidationError('A trade signal must be an object { symbol, action, volume, ... }.');
  }
  // Typed as a signal, but each field is only trusted once checked below.
  const { symbol, action, volume, stopLoss, takeProfit } = signal as Partial<TradeSignal>;
  if (typeof symbol !== 'string' || !SYMBOL.test(symbol))
    throw invalid('symbol', 'six capital letters like EURUSD', symbol);
  if (action !== 'BUY' && action !== 'SELL') throw invalid('action', "'BUY' or 'SELL'", action);
  if (!isPositiveNumber(volume)) throw invalid('volume', 'a positive finite number', volume);
  for (const [field, price] of Object.entries({ stopLoss, takeProfit })) {
    if (price !== undefined && !isPositiveNumber(price))
      throw invalid(field, 'a positive finite number', price);
  }
  const buy = action === 'BUY';
  if (
    stopLoss !== undefined &&
    takeProfit !== undefined &&
    (buy ? stopLoss >= takeProfit : stopLoss <= takeProfit)
  ) {
    throw new ValidationError(
      `A ${action} needs stopLoss ${buy ? '<' : '>'} takeProfit; got ${stopLoss} and ${takeProfit}.`,
      'stopLoss',
    );
  }
}

/** The library's one wording for a bad value, as a ValidationError naming the field. */
function invalid(field: string, expected: string, got: unknown): ValidationError {
  return new ValidationError(invalidOption(field, expected, got).message, field);
}
