import {
  ReliableWebSocketServer,
  type HandlerContext,
  type ReliableWebSocketServerOptions,
} from '../../src/server/index';
import { FaultProxy } from '../../src/cli/fault-proxy';
import { API_KEY } from './test-server';

export { API_KEY };

/** A payload the rig can check order on: `lane` (e.g. priority) and the send order within it. */
export interface OrderedPayload {
  lane: number;
  seq: number;
}

export interface RigOptions {
  /** Server options over `{ host: '127.0.0.1', port: 0, apiKeys: [API_KEY] }`. */
  server?: Partial<ReliableWebSocketServerOptions>;
  /** What `ECHO` does after it has been counted. @default echoes `{ echo: payload }` */
  handler?: (payload: unknown, ctx: HandlerContext) => unknown;
  /** Seed of the fault proxy. @default random (printed by specs that fail) */
  seed?: number;
}

/**
 * A real reference server on 127.0.0.1 behind a {@link FaultProxy}, with an
 * `ECHO` handler that counts runs per message id and records the order in
 * which messages were first processed, so specs can count what was lost,
 * processed twice or reordered.
 */
export class ReliabilityRig {
  /** Handler runs per message id. */
  readonly processed = new Map<string, number>();
  /** `{ lane, seq }` of each message at its first handler run, in order. */
  readonly firstProcessing: OrderedPayload[] = [];
  server!: ReliableWebSocketServer;
  proxy!: FaultProxy;
  serverPort = 0;

  private constructor(private readonly options: RigOptions) {}

  static async start(options: RigOptions = {}): Promise<ReliabilityRig> {
    const rig = new ReliabilityRig(options);
    await rig.startServer(0);
    rig.proxy = new FaultProxy({
      target: { host: '127.0.0.1', port: rig.serverPort },
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
    await rig.proxy.listen();
    return rig;
  }

  /** The client's URL: through the proxy. */
  get url(): string {
    return this.proxy.url;
  }

  /** Straight to the server, bypassing faults. */
  get directUrl(): string {
    return `ws://127.0.0.1:${this.serverPort}`;
  }

  /** Stops the server (1001 to every client). */
  stopServer(): Promise<void> {
    return this.server.close();
  }

  /** Starts a fresh server (empty dedupe memory) on the same port. */
  async startServer(port = this.serverPort): Promise<void> {
    const server = new ReliableWebSocketServer({
      host: '127.0.0.1',
      port,
      apiKeys: [API_KEY],
      ...this.options.server,
    });
    const handler = this.options.handler ?? ((payload: unknown) => ({ echo: payload }));
    server.handle('ECHO', (payload, ctx) => {
      const runs = (this.processed.get(ctx.messageId) ?? 0) + 1;
      this.processed.set(ctx.messageId, runs);
      if (runs === 1 && isOrdered(payload))
        this.firstProcessing.push({ lane: payload.lane, seq: payload.seq });
      return handler(payload, ctx);
    });
    this.server = server;
    this.serverPort = (await server.listen()).port;
  }

  async close(): Promise<void> {
    await this.proxy?.close();
    await this.server?.close();
  }
}

function isOrdered(payload: unknown): payload is OrderedPayload {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    typeof (payload as OrderedPayload).seq === 'number' &&
    typeof (payload as OrderedPayload).lane === 'number'
  );
}
