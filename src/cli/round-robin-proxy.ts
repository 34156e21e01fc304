import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxyOptions {
  /** The nodes; each new connection goes to the next one that accepts it. */
  targets: ReadonlyArray<{ host: string; port: number }>;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free one. @default 0 */
  port?: number;
}

/**
 * A round-robin TCP load balancer for 127.0.0.1, as in front of a scale-out
 * deployment: each new connection goes to the next target, skipping those
 * that refuse it (a node being restarted). `resetAll()` cuts every live link.
 */
export class RoundRobinProxy {
  /** Connections forwarded per target index. */
  readonly perTarget: number[];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private next = 0;

  constructor(private readonly options: RoundRobinProxyOptions) {
    if (options.targets.length === 0) throw new TypeError('RoundRobinProxy: `targets` must not be empty.');
    this.perTarget = options.targets.map(() => 0);
    this.server = net.createServer((client) => this.accept(client));
  }

  listen(): Promise<{ port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve({ port: this.port });
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Cuts every live link (both sides reset). */
  resetAll(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  close(): Promise<void> {
    this.resetAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    client.on('error', () => client.destroy());
    client.pause();
    this.connectTo(client, this.options.targets.length);
  }

  private connectTo(client: net.Socket, triesLeft: number): void {
    if (triesLeft === 0 || client.destroyed) return void client.destroy();
    const index = this.next++ % this.options.targets.length;
    const upstream = net.connect({ ...this.options.targets[index]!, noDelay: true });
    let connected = false;
    upstream.once('error', () => {
      if (!connected) this.connectTo(client, triesLeft - 1);
    });
    upstream.once('connect', () => {
      connected = true;
      this.perTarget[index]!++;
      this.track(upstream);
      upstream.removeAllListeners('error');
      const cut = (): void => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', cut).on('close', cut);
      client.on('error', cut).on('close', cut);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
