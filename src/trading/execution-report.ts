import type { InboundMessage } from '../client/client-events';
import type { TradeAction } from './trade-signal';

/** The message name of an execution report on the account's stream. */
export const EXECUTION_REPORT = 'EXECUTION_REPORT';

/** What the server reports about an order: published on the principal's reliable stream. */
export interface ExecutionReport {
  orderId: string;
  /** The id of the TRADE_SIGNAL message the order came from. */
  signalId: string;
  symbol: string;
  action: TradeAction;
  volume: number;
  status: 'ACCEPTED' | 'FILLED' | 'PARTIALLY_FILLED' | 'REJECTED' | 'CANCELLED';
  /** Fill price, when filled. */
  price?: number;
  /** Server time (epoch ms). */
  ts?: number;
}

/** An execution report as app code gets it: once per (stream, seq), in order. */
export interface ReceivedExecution {
  report: ExecutionReport;
  stream: string;
  seq: number;
  /** True only when this report may have reached app code before a crash. */
  redelivered: boolean;
  /** The message, for `client.commit(...)` with `ackMode: 'manual'`. */
  message: InboundMessage;
}

/** Reads an execution report off a reliable message; undefined for any other message. */
export function toExecution(message: InboundMessage): ReceivedExecution | undefined {
  if (message.type !== EXECUTION_REPORT || message.stream === undefined || message.seq === undefined)
    return undefined;
  const report = message.payload as Partial<ExecutionReport> | null;
  if (typeof report !== 'object' || report === null || typeof report.orderId !== 'string') return undefined;
  return {
    report: report as ExecutionReport,
    stream: message.stream,
    seq: message.seq,
    redelivered: message.redelivered === true,
    message,
  };
}
