import { ReliableWebSocketServer, type ReliableWebSocketServerOptions } from '../../src/server/index';
import { RawClient, withTimeout } from '../helpers/raw-client';

export const HOSTILE_KEY = 'hostile-spec-key';

export interface HostileServer {
  server: ReliableWebSocketServer;
  url: string;
  /** Handler runs per message id (the `X` handler), to count what ran twice. */
  runs: Map<string, number>;
  /** Every payload the handler saw, to prove hostile ones never reached it. */
  payloads: unknown[];
}

/** A reference server on 127.0.0.1:0 with one handler, `X`, that echoes and counts. */
export async function startHostileServer(
  options: ReliableWebSocketServerOptions = {},
): Promise<HostileServer> {
  const server = new ReliableWebSocketServer({ port: 0, apiKeys: [HOSTILE_KEY], ...options });
  const runs = new Map<string, number>();
  const payloads: unknown[] = [];
  server.handle('X', (payload, ctx) => {
    runs.set(ctx.messageId, (runs.get(ctx.messageId) ?? 0) + 1);
    payloads.push(payload);
    return { echo: payload };
  });
  const { port } = await server.listen();
  return { server, url: `ws://127.0.0.1:${port}`, runs, payloads };
}

export interface WitnessReport {
  sent: number;
  acked: number;
  /** Sent and never acked. */
  lost: number;
  /** Acks whose response was not the echo of what was sent. */
  wrong: number;
  /** Ids the handler ran more than once. */
  ranTwice: number;
  /** Round-trip times (ms) of the acked messages, in send order. */
  latencies: number[];
}

/**
 * A well-behaved client connected for the whole of a hostile spec: it sends
 * one message every `everyMs` and checks each ack, so a spec can prove the
 * abuse next door cost it nothing.
 */
export class Witness {
  private readonly sentAt = new Map<string, number>();
  private readonly latencies: number[] = [];
  private acked = 0;
  private wrong = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly client: RawClient,
    private readonly host: HostileServer,
    private readonly prefix: string,
  ) {}

  static async start(host: HostileServer, clientId = 'witness', everyMs = 2): Promise<Witness> {
    const client = await RawClient.connect(host.url, clientId, HOSTILE_KEY);
    const witness = new Witness(client, host, `${clientId}-`);
    client.ws.on('message', (data) => witness.onFrame(data.toString()));
    witness.timer = setInterval(() => witness.sendOne(), everyMs);
    return witness;
  }

  /** Sends `n` messages right now (on top of the steady trickle). */
  burst(n: number): void {
    for (let i = 0; i < n; i++) this.sendOne();
  }

  get sent(): number {
    return this.seq;
  }

  /** Stops sending, waits (bounded) for the outstanding acks, closes, and reports. */
  async stop(ms = 3000): Promise<WitnessReport> {
    clearInterval(this.timer);
    const deadline = Date.now() + ms;
    while (this.acked + this.wrong < this.seq && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await withTimeout(this.client.close(), ms, 'witness close').catch(() => this.client.terminate());
    let ranTwice = 0;
    for (let i = 1; i <= this.seq; i++) if ((this.host.runs.get(this.prefix + i) ?? 0) > 1) ranTwice++;
    return {
      sent: this.seq,
      acked: this.acked,
      lost: this.seq - this.acked - this.wrong,
      wrong: this.wrong,
      ranTwice,
      latencies: this.latencies,
    };
  }

  private sendOne(): void {
    if (this.client.ws.readyState !== this.client.ws.OPEN) return;
    const id = this.prefix + ++this.seq;
    this.sentAt.set(id, performance.now());
    this.client.message(id, 'X', { n: this.seq });
  }

  private onFrame(text: string): void {
    const frame: unknown = JSON.parse(text);
    for (const envelope of (Array.isArray(frame) ? frame : [frame]) as Array<Record<string, unknown>>) {
      if (envelope['type'] === 'ack') {
        const ids =
          envelope['ids'] === undefined ? [envelope['id'] as string] : (envelope['ids'] as string[]);
        for (const id of ids) this.settle(id, envelope['response']);
      } else if (envelope['type'] === 'nack' && typeof envelope['id'] === 'string') {
        this.settle(envelope['id'], undefined, true);
      }
    }
  }

  private settle(id: string, response: unknown, nacked = false): void {
    const at = this.sentAt.get(id);
    if (at === undefined) return;
    this.sentAt.delete(id);
    const n = Number(id.slice(this.prefix.length));
    const ok = !nacked && (response as { echo?: { n?: number } } | undefined)?.echo?.n === n;
    if (!ok) {
      this.wrong++;
      return;
    }
    this.acked++;
    this.latencies.push(performance.now() - at);
  }
}

/** Median of a list of numbers (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A fresh client completes a round trip: the server still serves. */
export async function stillServes(
  host: HostileServer,
  clientId = `probe-${Math.random().toString(36).slice(2)}`,
): Promise<void> {
  const probe = await RawClient.connect(host.url, clientId, HOSTILE_KEY);
  probe.message('probe-1', 'X', 'alive');
  const ack = await probe.next((e) => e.id === 'probe-1', 'probe ack');
  if (ack.type !== 'ack' || ack.response?.echo !== 'alive')
    throw new Error(`Probe got ${JSON.stringify(ack)}`);
  await probe.close();
}
