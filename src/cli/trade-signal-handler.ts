import { ValidationError } from '../protocol/errors';
import type { HandlerContext } from '../server/index';

export interface TradeSignal {
  symbol: string;
  action: 'BUY' | 'SELL';
  volume: number;
  stopLoss?: number;
  takeProfit?: number;
}

export interface TradeSignalResult {
  orderId: string;
  status: 'accepted';
}

/** A `TRADE_SIGNAL` handler that also counts how often each message id ran, so duplicates can be counted. */
export interface TradeSignalHandler {
  /** Pass to `server.handle('TRADE_SIGNAL', handler.handle)`. Throws `ValidationError` (nack `VALIDATION_ERROR`) for a bad signal. */
  readonly handle: (payload: unknown, ctx: HandlerContext) => TradeSignalResult;
  /** How many times the handler ran for `messageId`, valid or not (0 if never). */
  timesProcessed(messageId: string): number;
  /** Distinct message ids the handler ran for. */
  readonly processed: number;
  /** Runs beyond the first for the same id, summed: what effectively-once delivery keeps at 0. */
  readonly duplicates: number;
  /** Signals accepted (orders issued). */
  readonly accepted: number;
  /** Signals refused by validation. */
  readonly rejected: number;
}

const SYMBOL = /^[A-Z]{6}$/;

/**
 * Checks a trade signal by the contract's rules: a six-capital-letter
 * symbol, `BUY` or `SELL`, a positive finite volume, positive finite stop
 * loss / take profit when given, and for a BUY `stopLoss < takeProfit`, for
 * a SELL `stopLoss > takeProfit` (when both are given).
 */
export function validateTradeSignal(value: unknown): TradeSignal {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(
      'A trade signal must be an object { symbol, action, volume, stopLoss?, takeProfit? }.',
    );
  }
  const s = value as Record<string, unknown>;
  if (typeof s['symbol'] !== 'string' || !SYMBOL.test(s['symbol'])) {
    throw new ValidationError(
      `\`symbol\` must be six capital letters such as "EURUSD", got ${JSON.stringify(s['symbol'])}.`,
      'symbol',
    );
  }
  if (s['action'] !== 'BUY' && s['action'] !== 'SELL') {
    throw new ValidationError(
      `\`action\` must be "BUY" or "SELL", got ${JSON.stringify(s['action'])}.`,
      'action',
    );
  }
  if (!isPositive(s['volume']))
    throw new ValidationError(
      `\`volume\` must be a positive finite number, got ${String(s['volume'])}.`,
      'volume',
    );
  for (const field of ['stopLoss', 'takeProfit'] as const) {
    if (s[field] !== undefined && !isPositive(s[field])) {
      throw new ValidationError(
        `\`${field}\` must be a positive finite number when given, got ${String(s[field])}.`,
        field,
      );
    }
  }
  const signal = value as TradeSignal;
  if (signal.stopLoss !== undefined && signal.takeProfit !== undefined) {
    if (signal.action === 'BUY' && !(signal.stopLoss < signal.takeProfit)) {
      throw new ValidationError(
        `For a BUY, \`stopLoss\` (${signal.stopLoss}) must be below \`takeProfit\` (${signal.takeProfit}).`,
        'stopLoss',
      );
    }
    if (signal.action === 'SELL' && !(signal.stopLoss > signal.takeProfit)) {
      throw new ValidationError(
        `For a SELL, \`stopLoss\` (${signal.stopLoss}) must be above \`takeProfit\` (${signal.takeProfit}).`,
        'stopLoss',
      );
    }
  }
  return signal;
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * Builds the reference `TRADE_SIGNAL` handler: validates the signal and
 * answers `{ orderId, status: 'accepted' }`. Counts are kept per message id
 * (ids are unique per client, UUIDs in practice), for the demo's
 * "duplicated" column.
 */
export function createTradeSignalHandler(options: { orderIdPrefix?: string } = {}): TradeSignalHandler {
  const prefix = options.orderIdPrefix ?? 'ord-';
  const runs = new Map<string, number>();
  let duplicates = 0;
  let accepted = 0;
  let rejected = 0;
  const handle = (payload: unknown, ctx: HandlerContext): TradeSignalResult => {
    const before = runs.get(ctx.messageId) ?? 0;
    runs.set(ctx.messageId, before + 1);
    if (before > 0) duplicates++;
    try {
      validateTradeSignal(payload);
    } catch (error) {
      rejected++;
      throw error;
    }
    accepted++;
    return { orderId: `${prefix}${accepted}`, status: 'accepted' };
  };
  return {
    handle,
    timesProcessed: (messageId) => runs.get(messageId) ?? 0,
    get processed() {
      return runs.size;
    },
    get duplicates() {
      return duplicates;
    },
    get accepted() {
      return accepted;
    },
    get rejected() {
      return rejected;
    },
  };
}
