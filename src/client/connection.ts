import {
  BehaviorSubject,
  filter,
  firstValueFrom,
  Observable,
  race,
  Subject,
  timer,
  type Subscriber,
  type Subscription,
  type TeardownLogic,
} from 'rxjs';
import { decodeFrame, DEFAULT_MAX_FRAME_BYTES, encodeFrame } from '../protocol/codec';
import { CloseCode, closeCodeName, isRetryableClose } from '../protocol/close-codes';
import { ConnectionState, MessageType, PROTOCOL_VERSION } from '../protocol/enums';
import type { Envelope, HelloEnvelope, WelcomeEnvelope } from '../protocol/envelope';
import type { StreamCursor } from '../protocol/stream-envelope';
import { AuthenticationError, ConnectionError, ProtocolError } from '../protocol/errors';
import { heartbeat$ } from '../operators/heartbeat';
import { retryBackoff } from '../operators/retry-backoff';
import type { ResolvedClientOptions, WebSocketConstructor, WebSocketLike } from './client-options';

/** What the connection reports to the client facade. */
export interface ConnectionCallbacks {
  welcome(welcome: WelcomeEnvelope, socket: WebSocketLike, isReconnect: boolean): void;
  envelope(envelope: Envelope): void;
  /**
   * The client is done with a socket: called once per socket, when it closes or as soon
   * as the connection gives up on it (a dead link's close handshake can take `ws` 30 s),
   * whichever comes first. Nothing of that socket is reported after it.
   */
  closed(code: number, reason: string): void;
  reconnecting(attempt: number, delay: number, error: unknown): void;
  protocolError(error: ProtocolError): void;
  heartbeatLatency(latencyMs: number): void;
  heartbeatMiss(missed: number): void;
  failed(error: Error): void;
  /** The hello's `streams` (reliable stream cursors); undefined leaves them out. */
  helloStreams?(): StreamCursor[] | undefined;
}

/**
 * The connection lifecycle: socket session -> retryBackoff with jitter (reset
 * once a session proved stable) -> state$. A rejected credential or a final
 * close code stops it in `error`; `stop()` is final until `start()` again.
 */
export class Connection {
  readonly state$ = new BehaviorSubject<ConnectionState>(ConnectionState.DISCONNECTED);
  readonly #options: ResolvedClientOptions;
  readonly #callbacks: ConnectionCallbacks;
  /** Sessions, retried with backoff; `start()` subscribes. */
  readonly #sessions$: Observable<'stable'>;
  /** Every socket once it has finished closing: `stop()` waits for its own, not an older dead one. */
  readonly #socketClosed$ = new Subject<WebSocketLike>();
  /** How the pending `start()` ends: undefined at the welcome, or the error. */
  readonly #started$ = new Subject<Error | undefined>();
  #loop: Subscription | undefined;
  #socket: WebSocketLike | undefined;
  #stopping = false;
  #everConnected = false;
  /** `reconnectTimeout`: when the current run of reconnection began (the failure that started it). */
  #runStartedAt: number | undefined;
  /** Fires when the run's time budget is spent; off while a session is up. */
  #deadline: Subscription | undefined;
  #lastError: Error | undefined;

  constructor(
    options: ResolvedClientOptions,
    WebSocketCtor: WebSocketConstructor,
    clientId: () => string,
    callbacks: ConnectionCallbacks,
  ) {
    this.#options = options;
    this.#callbacks = callbacks;
    const { backoff } = options;
    this.#sessions$ = new Observable<'stable'>((subscriber) =>
      this.#session(subscriber, WebSocketCtor, clientId()),
    ).pipe(
      retryBackoff({
        ...backoff, // maxInterval, jitter, random
        initialInterval: options.reconnectInterval,
        maxRetries: options.maxReconnectAttempts,
        backoffDelay: (iteration, initial) => initial * backoff.multiplier ** iteration,
        resetOnSuccess: true,
        scheduler: options.scheduler,
        shouldRetry: (error: Error) => !this.#stopping && options.reconnect && isRetryable(error),
        onRetry: ({ attempt, delay, error }) => {
          this.#armDeadline(error as Error);
          this.#setState(ConnectionState.RECONNECTING);
          callbacks.reconnecting(attempt, delay, error);
        },
      }),
    );
  }

  get state(): ConnectionState {
    return this.state$.value;
  }

  /** Resolves at the first welcome; rejects on a bad key or when reconnection gives up. */
  start(): Promise<void> {
    if (this.state === ConnectionState.CONNECTED) return Promise.resolve();
    const started = firstValueFrom(this.#started$).then((error) => {
      if (error) throw error;
    });
    // Already (re)connecting: wait for that loop's next welcome; a second loop would open a
    // second socket, and the server would close the first as a replaced session.
    if (!this.#loop) {
      this.#stopping = false;
      this.#setState(ConnectionState.CONNECTING);
      this.#subscribe();
    }
    return started;
  }

  /** Closes cleanly; no reconnection afterwards. Resolves once the socket has closed (or `connectTimeout`). */
  async stop(): Promise<void> {
    const loop = this.#loop;
    if (loop) {
      this.#stopping = true;
      this.#setState(ConnectionState.DISCONNECTING);
      const socket = this.#socket;
      const { connectTimeout, scheduler } = this.#options;
      // Listening before the loop closes the socket: a close may be reported synchronously.
      const socketClosed =
        socket &&
        socket.readyState <= 1 &&
        firstValueFrom(
          race(
            this.#socketClosed$.pipe(filter((closed) => closed === socket)),
            timer(connectTimeout, scheduler),
          ),
        );
      loop.unsubscribe();
      this.#loop = undefined;
      this.#cancelDeadline();
      this.#runStartedAt = undefined;
      this.#started$.next(new ConnectionError('disconnect() called while connecting.'));
      if (socketClosed) await socketClosed;
      this.#socket = undefined;
    }
    this.#setState(ConnectionState.DISCONNECTED);
  }

  /** Skips the backoff wait (the browser came back online). */
  reconnectNow(): void {
    if (this.#loop && this.state === ConnectionState.RECONNECTING) {
      this.#loop.unsubscribe();
      this.#subscribe();
    }
  }

  /** Asks the server-side close path to run (server said `reconnect`, or a frame we cannot trust). */
  closeSocket(code: number, reason: string): void {
    const socket = this.#socket;
    if (socket && socket.readyState <= 1) socket.close(code, reason);
  }

  #subscribe(): void {
    this.#loop = this.#sessions$.subscribe({
      // A session that proved stable ends the run: the next loss gets a whole budget again.
      next: () => (this.#runStartedAt = undefined),
      error: (error: unknown) => this.#gaveUp(error as Error),
    });
  }

  /**
   * A retry is due: starts the run's clock (at its first failure) and arms its end, at which
   * the attempt in progress, or the wait for the next one, is given up on.
   */
  #armDeadline(error: Error): void {
    const { reconnectTimeout, scheduler } = this.#options;
    this.#lastError = error;
    const start = (this.#runStartedAt ??= scheduler.now());
    if (!this.#deadline && reconnectTimeout < Infinity)
      // A negative delay (the rest of a budget already spent) fires at once.
      this.#deadline = timer(start + reconnectTimeout - scheduler.now(), scheduler).subscribe(() => {
        this.#loop?.unsubscribe();
        this.#gaveUp(this.#lastError!, `within reconnectTimeout (${reconnectTimeout} ms)`);
      });
  }

  #cancelDeadline(): void {
    this.#deadline?.unsubscribe();
    this.#deadline = undefined;
  }

  /**
   * One socket's life: open, handshake, heartbeats. Emits once the connection has
   * proved stable (one heartbeat interval after the welcome), which resets the
   * backoff; errors when the socket closes or dies; unsubscribing closes the socket.
   */
  #session(
    subscriber: Subscriber<'stable'>,
    WebSocketCtor: WebSocketConstructor,
    clientId: string,
  ): TeardownLogic {
    const options = this.#options;
    const callbacks = this.#callbacks;
    const { url, scheduler, connectTimeout, heartbeatInterval } = options;
    let socket: WebSocketLike;
    try {
      socket = this.#socket = new WebSocketCtor(url, options.protocols);
    } catch (cause) {
      subscriber.error(new ConnectionError(`Could not open a WebSocket to ${url}.`, undefined, { cause }));
      return;
    }
    let welcomed = false;
    let released = false;
    /** Whether the handshake carried a key: a refusal then says which mistake it was. */
    let sentKey = false;
    /** What the transport reported (`ws` gives an Error, e.g. ECONNREFUSED; browsers give nothing): the close's cause. */
    let transportError: Error | undefined;
    const rejected = (detail: string): AuthenticationError =>
      new AuthenticationError(`API key rejected${sentKey ? '' : ' (no apiKey was given)'}: ${detail}`);
    const pongs$ = new Subject<void>();
    const send = (envelope: Envelope): void => socket.send(encodeFrame(envelope));

    // The writer, the ack deadlines and the next session all key off this; it must not wait for the socket.
    const release = (code: number, reason: string): void => {
      if (released) return;
      released = true;
      callbacks.closed(code, reason);
    };
    const fail = (error: Error, closeCode: number): void => {
      const reason = error.message.slice(0, 120);
      if (socket.readyState <= 1) socket.close(closeCode, reason);
      release(closeCode, reason);
      subscriber.error(error);
    };
    const socketClosed = (): void => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#socketClosed$.next(socket);
    };

    const handshakeTimer = timer(connectTimeout, scheduler).subscribe(() =>
      fail(
        new ConnectionError(`No handshake answer within ${connectTimeout} ms.`, CloseCode.HANDSHAKE_TIMEOUT),
        CloseCode.HANDSHAKE_TIMEOUT,
      ),
    );
    subscriber.add(handshakeTimer);

    const onWelcome = (welcome: WelcomeEnvelope): void => {
      welcomed = true;
      handshakeTimer.unsubscribe();
      // Connected again: the budget pauses (a session lost before it proved stable resumes it).
      this.#cancelDeadline();
      this.#setState(ConnectionState.CONNECTED);
      callbacks.welcome(welcome, socket, this.#everConnected);
      this.#everConnected = true;
      this.#started$.next(undefined);
      if (subscriber.closed) return;
      const heartbeat = {
        interval: heartbeatInterval,
        timeout: options.heartbeatTimeout,
        maxMissed: options.heartbeatMaxMissed,
        scheduler,
      };
      subscriber.add(
        heartbeat$(pongs$, heartbeat).subscribe({
          next: (event) => {
            if (event.kind === 'ping' && socket.readyState === 1)
              send({ type: MessageType.HEARTBEAT, ts: event.sentAt });
            else if (event.kind === 'miss') callbacks.heartbeatMiss(event.missed);
          },
          error: (error: unknown) => fail(error as Error, CloseCode.HEARTBEAT_TIMEOUT),
        }),
      );
      subscriber.add(timer(heartbeatInterval, scheduler).subscribe(() => subscriber.next('stable')));
    };

    const onEnvelope = (envelope: Envelope): void => {
      if (welcomed) {
        pongs$.next();
        if (envelope.type === MessageType.HEARTBEAT_ACK)
          callbacks.heartbeatLatency(scheduler.now() - envelope.ts);
        else callbacks.envelope(envelope);
      } else if (envelope.type === MessageType.CONNECT && 'sessionId' in envelope) {
        onWelcome(envelope);
      } else if (envelope.type === MessageType.NACK && envelope.code === 'AUTHENTICATION_FAILED') {
        fail(rejected(envelope.message), CloseCode.NORMAL);
      } else {
        callbacks.protocolError(
          new ProtocolError('UNEXPECTED', `Expected the welcome, got ${envelope.type}.`),
        );
      }
    };

    socket.onopen = async () => {
      let apiKey: string | undefined;
      try {
        apiKey = await (typeof options.apiKey === 'function' ? options.apiKey() : options.apiKey);
      } catch (cause) {
        fail(new AuthenticationError(`apiKey() failed: ${String(cause)}`), CloseCode.NORMAL);
        return;
      }
      if (socket.readyState === 1) {
        // maxPayload: the largest frame this client reads (below); the server cuts its answers under it.
        sentKey = !!apiKey;
        const hello: HelloEnvelope = {
          type: MessageType.CONNECT,
          v: PROTOCOL_VERSION,
          clientId,
          maxPayload: DEFAULT_MAX_FRAME_BYTES,
        };
        // No `features`: ranged acks (`runs`, docs/protocol.md section 4) would need each run expanded
        // into id strings for the delivery's id map, measured dearer than parsing `ids`.
        if (apiKey) hello.apiKey = apiKey;
        const streams = callbacks.helloStreams?.();
        if (streams !== undefined) hello.streams = streams;
        send(hello);
      }
    };
    socket.onmessage = (event) => {
      const { envelopes, errors } = decodeFrame(event.data, { maxLength: DEFAULT_MAX_FRAME_BYTES });
      for (const error of errors) callbacks.protocolError(error);
      // A broken frame before the welcome (a broken welcome, most likely): this attempt cannot
      // succeed, so it fails now instead of waiting out connectTimeout.
      const broken = welcomed ? undefined : errors[0];
      if (broken) {
        const code = CloseCode.PROTOCOL_ERROR;
        const { reason, message } = broken;
        return fail(
          new ConnectionError(`Invalid welcome: PROTOCOL_ERROR ${reason}: ${message}`, code, {
            cause: broken,
          }),
          code,
        );
      }
      for (const envelope of envelopes) onEnvelope(envelope);
    };
    // A close event always follows an error; it carries the code we act on. Closing a socket
    // that is still connecting makes `ws` emit 'error' later: it must find a listener.
    socket.onerror = (event) => (transportError = (event as { error?: Error } | null)?.error);
    socket.onclose = ({ code, reason }) => {
      release(code, reason);
      socketClosed();
      subscriber.error(
        code === CloseCode.AUTHENTICATION_FAILED
          ? rejected(reason || String(code))
          : new ConnectionError(
              `Closed with ${code} ${closeCodeName(code)}${reason && ` (${reason})`}${
                transportError ? `: ${transportError.message}` : ''
              }.`,
              code,
              transportError && { cause: transportError },
            ),
      );
    };

    return () => {
      socket.onopen = socket.onmessage = null;
      socket.onclose = socketClosed;
      if (socket.readyState <= 1) socket.close(CloseCode.NORMAL, 'client closed');
      release(CloseCode.NORMAL, 'client closed');
    };
  }

  #gaveUp(error: Error, why = `after ${this.#options.maxReconnectAttempts} attempt(s)`): void {
    this.#loop = undefined;
    this.#cancelDeadline();
    this.#runStartedAt = undefined;
    const { reconnect, url } = this.#options;
    if (!reconnect && isRetryable(error) && this.#everConnected) {
      this.#setState(ConnectionState.DISCONNECTED);
      return;
    }
    const final =
      error instanceof AuthenticationError
        ? error
        : new ConnectionError(
            `Gave up on ${url} ${why}: ${error.message} Call connect() to retry.`,
            (error as ConnectionError).closeCode,
            { cause: error },
          );
    this.#setState(ConnectionState.ERROR);
    this.#callbacks.failed(final);
    this.#started$.next(final);
  }

  #setState(next: ConnectionState): void {
    if (this.state !== next) this.state$.next(next);
  }
}

/** A bad credential or a final close code ends the loop; anything else is transient. */
function isRetryable(error: Error): boolean {
  const closeCode = (error as ConnectionError).closeCode;
  return !(error instanceof AuthenticationError) && (closeCode === undefined || isRetryableClose(closeCode));
}
