import { ValidationError } from '../protocol/errors';

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
  if (typeof signal !== 'object' || signal === null || Array.isArray(signal)) {
    throw new ValidationError(
      'A trade signal must be an object { symbol, action, volume, stopLoss?, takeProfit? }.',
    );
  }
  const s = signal as Record<string, unknown>;
  if (typeof s['symbol'] !== 'string' || !SYMBOL.test(s['symbol'])) {
    throw new ValidationError(
      `symbol must be six capital letters like EURUSD, got ${JSON.stringify(s['symbol'])}.`,
      'symbol',
    );
  }
  if (s['action'] !== 'BUY' && s['action'] !== 'SELL') {
    throw new ValidationError(
      `action must be 'BUY' or 'SELL', got ${JSON.stringify(s['action'])}.`,
      'action',
    );
  }
  if (!isPositiveFinite(s['volume'])) {
    throw new ValidationError(
      `volume must be a positive finite number, got ${String(s['volume'])}.`,
      'volume',
    );
  }
  for (const field of ['stopLoss', 'takeProfit'] as const) {
    if (s[field] !== undefined && !isPositiveFinite(s[field])) {
      throw new ValidationError(
        `${field} must be a positive finite price when given, got ${String(s[field])}.`,
        field,
      );
    }
  }
  const { stopLoss, takeProfit } = s as { stopLoss?: number; takeProfit?: number };
  if (stopLoss !== undefined && takeProfit !== undefined) {
    if (s['action'] === 'BUY' && !(stopLoss < takeProfit)) {
      throw new ValidationError(
        `A BUY needs stopLoss < takeProfit, got ${stopLoss} >= ${takeProfit}.`,
        'stopLoss',
      );
    }
    if (s['action'] === 'SELL' && !(stopLoss > takeProfit)) {
      throw new ValidationError(
        `A SELL needs stopLoss > takeProfit, got ${stopLoss} <= ${takeProfit}.`,
        'stopLoss',
      );
    }
  }
}

function isPositiveFinite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
