import type { ConnectionState } from '../protocol/enums';

/** A snapshot of the client: `getStats()` and `stats$` both return this. */
export interface ClientStats {
  state: ConnectionState;
  clientId: string | undefined;
  /** Accepted messages not yet settled: queued plus in flight. */
  queueSize: number;
  inFlight: number;
  /** Frames of app messages written, resends included. */
  messagesSent: number;
  messagesAcknowledged: number;
  /** Nacked, timed out or evicted. */
  messagesFailed: number;
  /** Resends after an ack timeout. */
  messagesRetried: number;
  messagesExpired: number;
  messagesEvicted: number;
  messagesReceived: number;
  /**
   * Successful reconnections: welcomes after the first. Attempts that failed are
   * not counted here; each attempt is a `reconnecting` event (with its number).
   */
  reconnects: number;
  /** Last heartbeat round trip, ms (undefined before the first pong). */
  latency: number | undefined;
  /** Mean send-to-ack time of acknowledged messages, ms. */
  averageAckLatency: number | undefined;
  /** False when the queue lives in memory only. */
  durable: boolean;
  /** Records the storage could not read back when it opened (a damaged journal; reported as an `error` event). */
  storageRecordsLost: number;
  /** Reliable stream messages handed to app code (redelivered ones included). */
  inboundReceived: number;
  /** Of those, marked `redelivered` (may have reached app code before a crash). */
  inboundRedelivered: number;
  /** Stream frames dropped as duplicates by seq. */
  inboundDuplicates: number;
  /** `inboundGap` events. */
  inboundGaps: number;
}

/**
 * Plain counters: the hot path increments numbers, snapshots are built on
 * demand. Its public fields are named as in ClientStats, so a snapshot spreads them.
 */
export class ClientStatsCounter {
  messagesSent = 0;
  messagesAcknowledged = 0;
  messagesFailed = 0;
  messagesRetried = 0;
  messagesExpired = 0;
  messagesEvicted = 0;
  messagesReceived = 0;
  reconnects = 0;
  storageRecordsLost = 0;
  inboundReceived = 0;
  inboundRedelivered = 0;
  inboundDuplicates = 0;
  inboundGaps = 0;
  latency: number | undefined;
  #ackLatencyTotal = 0;

  sent(isRetry: boolean): void {
    this.messagesSent++;
    if (isRetry) this.messagesRetried++;
  }

  acknowledged(latencyMs: number): void {
    this.messagesAcknowledged++;
    this.#ackLatencyTotal += latencyMs;
  }

  failed(evicted: boolean): void {
    this.messagesFailed++;
    if (evicted) this.messagesEvicted++;
  }

  expired(): void {
    this.messagesExpired++;
  }

  snapshot(
    live: Pick<ClientStats, 'state' | 'clientId' | 'queueSize' | 'inFlight' | 'durable'>,
  ): ClientStats {
    const acknowledged = this.messagesAcknowledged;
    return {
      ...live,
      ...this,
      averageAckLatency: acknowledged > 0 ? this.#ackLatencyTotal / acknowledged : undefined,
    };
  }
}
