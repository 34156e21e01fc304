import { BehaviorSubject, defer, type Subscription } from 'rxjs';
import { ConnectionState } from '../protocol/enums';
import type { Envelope, WelcomeEnvelope } from '../protocol/envelope';
import { AuthenticationError, ConnectionError, type ProtocolError } from '../protocol/errors';
import { retryBackoff } from '../operators/retry-backoff';
import type { ResolvedClientOptions, WebSocketConstructor, WebSocketLike } from './client-options';
import { isRetryableSessionError, socketSession$ } from './socket-session';

/** What the connection reports to the client facade. */
export interface ConnectionCallbacks {
  welcome(welcome: WelcomeEnvelope, socket: WebSocketLike, isReconnect: boolean): void;
  envelope(envelope: Envelope): void;
  closed(code: number, reason: string): void;
  reconnecting(attempt: number, delay: number, error: unknown): void;
  protocolError(error: ProtocolError): void;
  heartbeatLatency(latencyMs: number): void;
  heartbeatMiss(missed: number): void;
  failed(error: Error): void;
}

/**
 * The connection lifecycle: socket session -> retryBackoff with jitter (reset
 * once a session proved stable) -> state$. A rejected credential or a final
 * close code stops it in `error`; `stop()` is final until `start()` again.
 */
export class Connection {
  readonly state$ = new BehaviorSubject<ConnectionState>(ConnectionState.DISCONNECTED);
  private loop: Subscription | undefined;
  private socket: WebSocketLike | undefined;
  private stopping = false;
  private everConnected = false;
  private started: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;
  /** `stop()` waits for its socket's close handshake; an older, dead socket closing meanwhile must not end that wait. */
  private closeWaiters: Array<{ socket: WebSocketLike; resolve: () => void }> = [];

  constructor(
    private readonly options: ResolvedClientOptions,
    private readonly WebSocketCtor: WebSocketConstructor,
    private readonly clientId: () => string,
    private readonly callbacks: ConnectionCallbacks,
  ) {}

  get state(): ConnectionState {
    return this.state$.value;
  }

  /** Resolves at the first welcome; rejects on a bad key or when reconnection gives up. */
  start(): Promise<void> {
    if (this.state === ConnectionState.CONNECTED) return Promise.resolve();
    if (this.started) return this.started.promise;
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    this.started = { promise, resolve, reject };
    // Already (re)connecting: wait for that loop's next welcome; a second loop would open a
    // second socket, and the server would close the first as a replaced session.
    if (this.loop) return promise;
    this.stopping = false;
    this.setState(ConnectionState.CONNECTING);
    this.subscribeLoop();
    return promise;
  }

  /** Closes cleanly; no reconnection afterwards. Resolves once the socket has closed. */
  async stop(): Promise<void> {
    if (!this.loop) {
      this.setState(ConnectionState.DISCONNECTED);
      return;
    }
    this.stopping = true;
    this.setState(ConnectionState.DISCONNECTING);
    const socket = this.socket;
    const socketClosed =
      socket && socket.readyState <= 1
        ? new Promise<void>((resolve) => this.closeWaiters.push({ socket, resolve }))
        : undefined;
    this.loop.unsubscribe();
    this.loop = undefined;
    this.started?.reject(
      new ConnectionError('disconnect() was called before the connection was established.'),
    );
    this.started = undefined;
    if (socketClosed) await this.raceTimeout(socketClosed, this.options.connectTimeout);
    this.socket = undefined;
    this.setState(ConnectionState.DISCONNECTED);
  }

  /** Skips the backoff wait (the browser came back online). */
  reconnectNow(): void {
    if (this.loop && this.state === ConnectionState.RECONNECTING) {
      this.loop.unsubscribe();
      this.subscribeLoop();
    }
  }

  /** Asks the server-side close path to run (server said `reconnect`, or a frame we cannot trust). */
  closeSocket(code: number, reason: string): void {
    if (this.socket && this.socket.readyState <= 1) this.socket.close(code, reason);
  }

  private subscribeLoop(): void {
    const { options } = this;
    const session$ = defer(() =>
      socketSession$(
        {
          url: options.url,
          protocols: options.protocols,
          WebSocketCtor: this.WebSocketCtor,
          clientId: this.clientId(),
          apiKey: async () => (typeof options.apiKey === 'function' ? options.apiKey() : options.apiKey),
          heartbeatInterval: options.heartbeatInterval,
          heartbeatTimeout: options.heartbeatTimeout,
          heartbeatMaxMissed: options.heartbeatMaxMissed,
          connectTimeout: options.connectTimeout,
          scheduler: options.scheduler,
        },
        {
          socketCreated: (socket) => (this.socket = socket),
          welcome: (welcome, socket) => {
            this.setState(ConnectionState.CONNECTED);
            this.callbacks.welcome(welcome, socket, this.everConnected);
            this.everConnected = true;
            this.started?.resolve();
            this.started = undefined;
          },
          envelope: (envelope) => this.callbacks.envelope(envelope),
          protocolError: (error) => this.callbacks.protocolError(error),
          heartbeatLatency: (ms) => this.callbacks.heartbeatLatency(ms),
          heartbeatMiss: (missed) => this.callbacks.heartbeatMiss(missed),
          closed: (code, reason) => this.callbacks.closed(code, reason),
          socketClosed: (socket) => this.onSocketClosed(socket),
        },
      ),
    );
    const { backoff } = options;
    this.loop = session$
      .pipe(
        retryBackoff({
          initialInterval: options.reconnectInterval,
          maxRetries: options.maxReconnectAttempts,
          maxInterval: backoff.maxInterval,
          backoffDelay: (iteration, initial) => initial * backoff.multiplier ** iteration,
          jitter: backoff.jitter,
          random: backoff.random,
          resetOnSuccess: true,
          scheduler: options.scheduler,
          shouldRetry: (error) => !this.stopping && options.reconnect && isRetryableSessionError(error),
          onRetry: ({ attempt, delay, error }) => {
            this.setState(ConnectionState.RECONNECTING);
            this.callbacks.reconnecting(attempt, delay, error);
          },
        }),
      )
      .subscribe({ error: (error: unknown) => this.onGaveUp(asError(error)) });
  }

  private onSocketClosed(socket: WebSocketLike): void {
    if (this.socket === socket) this.socket = undefined;
    const done = this.closeWaiters.filter((waiter) => waiter.socket === socket);
    this.closeWaiters = this.closeWaiters.filter((waiter) => waiter.socket !== socket);
    for (const waiter of done) waiter.resolve();
  }

  private onGaveUp(error: Error): void {
    this.loop = undefined;
    const lostWithoutReconnect =
      !this.options.reconnect && isRetryableSessionError(error) && this.everConnected;
    if (lostWithoutReconnect) {
      this.setState(ConnectionState.DISCONNECTED);
      return;
    }
    const final =
      error instanceof AuthenticationError
        ? error
        : new ConnectionError(
            `Could not (re)connect to ${this.options.url}: ${error.message} ` +
              `Gave up after ${this.options.maxReconnectAttempts} attempt(s); call connect() to try again.`,
            error instanceof ConnectionError ? error.closeCode : undefined,
            { cause: error },
          );
    this.setState(ConnectionState.ERROR);
    this.callbacks.failed(final);
    this.started?.reject(final);
    this.started = undefined;
  }

  private setState(next: ConnectionState): void {
    if (this.state$.value !== next) this.state$.next(next);
  }

  /** Waits for `promise`, at most `ms`; the timer is cancelled either way. */
  private async raceTimeout(promise: Promise<void>, ms: number): Promise<void> {
    let timer: Subscription | undefined;
    const timeout = new Promise<void>(
      (resolve) => (timer = this.options.scheduler.schedule(() => resolve(), ms)),
    );
    try {
      await Promise.race([promise, timeout]);
    } finally {
      timer?.unsubscribe();
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new ConnectionError(String(error));
}
