import { validateTradeSignal } from '../trading/trade-signal';
import type { HandlerContext } from '../server/index';

export { validateTradeSignal };

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
