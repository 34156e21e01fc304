import { WebSocket } from 'ws';

/** Nacks a compliant client retries after `retryAfter` (the server recorded nothing). */
const RETRYABLE = new Set(['DEDUPE_UNAVAILABLE', 'DEDUPE_FULL']);

export interface ResendingClientOptions {
  clientId: string;
  apiKey?: string;
  /** An unanswered message is sent again after this long (ms). @default 400 */
  resendMs?: number;
  /** Most messages sent and unanswered at once. @default 200 */
  window?: number;
}

/**
 * A protocol client for the scale-out specs that does what the protocol asks
 * of a client and no more: it resends every unanswered id (same id) after a
 * timeout, after a reconnect, and after `retryAfter` on a retryable nack, so
 * a spec can count, per id, what the servers answered.
 */
export class ResendingClient {
  /** First ack response per id. */
  readonly acked = new Map<string, unknown>();
  /** Terminal nack code per id (e.g. OUTCOME_UNKNOWN). */
  readonly failed = new Map<string, string>();
  /** Retryable nacks seen (DEDUPE_UNAVAILABLE while the backend was down). */
  retryableNacks = 0;
  /** Acks whose response differs from the first ack of the id (must stay 0). */
  conflictingAcks = 0;
  connects = 0;
  private readonly pending = new Map<string, { payload: unknown; sentAt: number; notBefore: number }>();
  private ws: WebSocket | undefined;
  private open = false;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;
  private readonly resendMs: number;
  private readonly window: number;

  constructor(
    private readonly url: () => string,
    private readonly options: ResendingClientOptions,
  ) {
    this.resendMs = options.resendMs ?? 400;
    this.window = options.window ?? 200;
    this.timer = setInterval(() => this.tick(), 50);
    this.connect();
  }

  /** Queues `id` (sent when the window allows). */
  send(id: string, payload: unknown): void {
    this.pending.set(id, { payload, sentAt: 0, notBefore: 0 });
    this.tick();
  }

  get settled(): number {
    return this.acked.size + this.failed.size;
  }

  get unsettled(): number {
    return this.pending.size;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.ws?.terminate();
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.url());
    this.ws = ws;
    this.open = false;
    ws.on('error', () => undefined);
    ws.on('open', () => {
      const hello: Record<string, unknown> = { type: 'connect', v: 1, clientId: this.options.clientId };
      if (this.options.apiKey !== undefined) hello['apiKey'] = this.options.apiKey;
      ws.send(JSON.stringify(hello));
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as unknown;
      for (const e of (Array.isArray(frame) ? frame : [frame]) as Array<Record<string, unknown>>)
        this.onEnvelope(e);
    });
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.open = false;
      for (const entry of this.pending.values()) entry.sentAt = 0; // resend all after reconnecting
      setTimeout(() => this.connect(), 20);
    });
  }

  private onEnvelope(e: Record<string, unknown>): void {
    if (e['type'] === 'connect') {
      this.open = true;
      this.connects++;
      this.tick();
      return;
    }
    if (e['type'] === 'ack') {
      const ids = typeof e['id'] === 'string' ? [e['id']] : ((e['ids'] as string[] | undefined) ?? []);
      for (const id of ids) {
        if (this.acked.has(id)) {
          if (JSON.stringify(this.acked.get(id)) !== JSON.stringify(e['response'])) this.conflictingAcks++;
          continue;
        }
        if (!this.pending.delete(id)) continue;
        this.acked.set(id, e['response']);
      }
      return;
    }
    if (e['type'] === 'nack' && typeof e['id'] === 'string') {
      const id = e['id'];
      const entry = this.pending.get(id);
      if (entry === undefined) return;
      const code = String(e['code']);
      if (RETRYABLE.has(code)) {
        this.retryableNacks++;
        entry.sentAt = 0;
        entry.notBefore = Date.now() + Number(e['retryAfter'] ?? 100);
        return;
      }
      this.pending.delete(id);
      this.failed.set(id, code);
    }
  }

  private tick(): void {
    if (!this.open || this.ws === undefined) return;
    const now = Date.now();
    let inFlight = 0;
    for (const entry of this.pending.values())
      if (entry.sentAt > 0 && now - entry.sentAt < this.resendMs) inFlight++;
    for (const [id, entry] of this.pending) {
      if (inFlight >= this.window) break;
      if (entry.notBefore > now || (entry.sentAt > 0 && now - entry.sentAt < this.resendMs)) continue;
      entry.sentAt = now;
      inFlight++;
      this.ws.send(JSON.stringify({ type: 'data', id, name: 'ORDER', payload: entry.payload }));
    }
  }
}
