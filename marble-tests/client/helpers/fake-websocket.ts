import type { SchedulerLike } from 'rxjs';
import type { WebSocketConstructor, WebSocketLike } from '../../../src/client/client-options';

/** What the fake server does; tests flip these between steps. */
export interface FakeServerBehaviour {
  /** Refuse new sockets: they close with 1006 right after being created. @default false */
  refuse: boolean;
  /** Answer `heartbeat` with `heartbeat_ack`. @default true */
  answerHeartbeats: boolean;
  /** Ack every `data` envelope. @default true */
  ackData: boolean;
  /** Virtual ms from a client frame to the server's answer (and from construction to `open`). @default 0 */
  latency: number;
  /** Fields laid over the welcome (a broken server: `{ dedupeTtl: -1 }`). @default {} */
  welcome: Record<string, unknown>;
  /** Reliable stream verdicts for the welcome of a hello that offers `streams`. @default undefined (a v1 server) */
  streams?: (cursors: unknown[]) => unknown[];
}

/** One frame the client wrote, with the virtual time and the socket (1-based) it went out on. */
export interface SentFrame {
  at: number;
  socket: number;
  envelopes: Array<Record<string, unknown>>;
}

/**
 * An in-memory WebSocket and the server behind it, timed by `scheduler` only.
 * Network events are not the client's timers, so they always run on the real
 * test scheduler even when the client's own scheduler is skewed.
 */
export class FakeServer {
  readonly behaviour: FakeServerBehaviour = {
    refuse: false,
    answerHeartbeats: true,
    ackData: true,
    latency: 0,
    welcome: {},
  };
  readonly sockets: FakeSocket[] = [];
  readonly frames: SentFrame[] = [];
  /** Times at which sockets were created (connection attempts). */
  readonly attempts: number[] = [];
  readonly WebSocketCtor: WebSocketConstructor;

  constructor(readonly scheduler: SchedulerLike) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const server = this;
    this.WebSocketCtor = class extends FakeSocket {
      constructor(url: string) {
        super(server, url);
      }
    };
  }

  /** Data envelopes the client wrote, in order, as `[time, id, attempt-socket]`. */
  dataFrames(): Array<{ at: number; id: string; name: string }> {
    return this.frames.flatMap((f) =>
      f.envelopes
        .filter((e) => e['type'] === 'data')
        .map((e) => ({ at: f.at, id: e['id'] as string, name: e['name'] as string })),
    );
  }

  pings(): number[] {
    return this.frames.filter((f) => f.envelopes.some((e) => e['type'] === 'heartbeat')).map((f) => f.at);
  }

  later(work: () => void): void {
    this.scheduler.schedule(work, this.behaviour.latency);
  }
}

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly bufferedAmount = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean?: boolean }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly index: number;
  closedWith: { code: number; reason: string; at: number } | undefined;

  constructor(
    private readonly server: FakeServer,
    readonly url: string,
  ) {
    this.index = server.sockets.push(this);
    server.attempts.push(server.scheduler.now());
    if (server.behaviour.refuse) {
      server.scheduler.schedule(() => this.finish(1006, ''), 0);
      return;
    }
    server.later(() => {
      if (this.readyState !== 0) return;
      this.readyState = 1;
      this.onopen?.({});
    });
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    const parsed = JSON.parse(data) as Record<string, unknown> | Array<Record<string, unknown>>;
    const envelopes = Array.isArray(parsed) ? parsed : [parsed];
    this.server.frames.push({ at: this.server.scheduler.now(), socket: this.index, envelopes });
    for (const envelope of envelopes) this.answer(envelope);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.closedWith = { code, reason, at: this.server.scheduler.now() };
    this.server.scheduler.schedule(() => this.finish(code, reason), 0);
  }

  /** The server sends `envelope` now (a push, a stream message). */
  push(envelope: Record<string, unknown>): void {
    if (this.readyState === 1) this.onmessage?.({ data: JSON.stringify(envelope) });
  }

  /** The server drops the link (as a reset would). */
  drop(code = 1006): void {
    this.finish(code, '');
  }

  private answer(envelope: Record<string, unknown>): void {
    const { behaviour } = this.server;
    let reply: Record<string, unknown> | undefined;
    if (envelope['type'] === 'connect') {
      reply = {
        type: 'connect',
        v: 1,
        sessionId: `s${this.index}`,
        dedupeTtl: 600_000,
        heartbeatInterval: 30_000,
        maxPayload: 1 << 20,
        ...behaviour.welcome,
      };
      if (behaviour.streams && Array.isArray(envelope['streams']))
        reply['streams'] = behaviour.streams(envelope['streams'] as unknown[]);
    } else if (envelope['type'] === 'heartbeat' && behaviour.answerHeartbeats) {
      reply = { type: 'heartbeat_ack', ts: envelope['ts'] };
    } else if (envelope['type'] === 'data' && behaviour.ackData) {
      reply = { type: 'ack', id: envelope['id'] };
    }
    if (reply === undefined) return;
    const frame = JSON.stringify(reply);
    this.server.later(() => {
      if (this.readyState === 1) this.onmessage?.({ data: frame });
    });
  }

  private finish(code: number, reason: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason, wasClean: code === 1000 });
  }
}
