import { Observable, Subject, timer, type SchedulerLike } from 'rxjs';
import { decodeFrame, encodeFrame } from '../protocol/codec';
import { CloseCode, closeCodeName, isRetryableClose } from '../protocol/close-codes';
import { MessageType, PROTOCOL_VERSION } from '../protocol/enums';
import type { Envelope, WelcomeEnvelope } from '../protocol/envelope';
import {
  AuthenticationError,
  ConnectionError,
  type HeartbeatTimeoutError,
  ProtocolError,
} from '../protocol/errors';
import { heartbeat$ } from '../operators/heartbeat';
import type { WebSocketConstructor, WebSocketLike } from './client-options';

export interface SessionConfig {
  url: string;
  protocols: string[] | undefined;
  WebSocketCtor: WebSocketConstructor;
  clientId: string;
  apiKey: () => Promise<string | undefined>;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  heartbeatMaxMissed: number;
  connectTimeout: number;
  scheduler: SchedulerLike;
}

/** Side effects of one socket's life, reported to the connection as they happen. */
export interface SessionHandlers {
  socketCreated(socket: WebSocketLike): void;
  welcome(welcome: WelcomeEnvelope, socket: WebSocketLike): void;
  envelope(envelope: Envelope): void;
  protocolError(error: ProtocolError): void;
  heartbeatLatency(latencyMs: number): void;
  heartbeatMiss(missed: number): void;
  /**
   * The session is over for this socket: called once, when the socket closes
   * or as soon as the session gives up on it (a dead link's close handshake can
   * take `ws` 30 s), whichever comes first. Nothing of this socket is reported after it.
   */
  closed(code: number, reason: string): void;
  /** The socket itself has finished closing; may come long after `closed`. */
  socketClosed(socket: WebSocketLike): void;
}

/** Lets the retry policy tell a bad credential or a final close from a transient failure. */
export function isRetryableSessionError(error: unknown): boolean {
  if (error instanceof AuthenticationError) return false;
  if (error instanceof ConnectionError && error.closeCode !== undefined)
    return isRetryableClose(error.closeCode);
  return true;
}

/**
 * One socket's life as an observable: open, handshake, heartbeats. It emits
 * once the connection has proved stable (one heartbeat interval after the
 * welcome), which is what resets the reconnection backoff, and errors when the
 * socket closes or dies; unsubscribing closes the socket.
 */
export function socketSession$(config: SessionConfig, handlers: SessionHandlers): Observable<'stable'> {
  return new Observable<'stable'>((subscriber) => {
    const { scheduler } = config;
    let socket: WebSocketLike;
    try {
      socket = new config.WebSocketCtor(config.url, config.protocols);
    } catch (cause) {
      subscriber.error(
        new ConnectionError(`Could not open a WebSocket to ${config.url}.`, undefined, { cause }),
      );
      return;
    }
    handlers.socketCreated(socket);
    let welcomed = false;
    let released = false;
    const pongs$ = new Subject<number | void>();

    // The writer, the ack deadlines and the next session all key off this; it must not wait for the socket.
    const release = (code: number, reason: string): void => {
      if (released) return;
      released = true;
      handlers.closed(code, reason);
    };

    const fail = (error: Error, closeCode: number): void => {
      const reason = error.message.slice(0, 120);
      if (socket.readyState <= 1) socket.close(closeCode, reason);
      release(closeCode, reason);
      subscriber.error(error);
    };

    const handshakeTimer = timer(config.connectTimeout, scheduler).subscribe(() =>
      fail(
        new ConnectionError(
          `No handshake answer within ${config.connectTimeout} ms from ${config.url}.`,
          CloseCode.HANDSHAKE_TIMEOUT,
        ),
        CloseCode.HANDSHAKE_TIMEOUT,
      ),
    );
    subscriber.add(handshakeTimer);

    const startHeartbeat = (): void => {
      subscriber.add(
        heartbeat$(pongs$, {
          interval: config.heartbeatInterval,
          timeout: config.heartbeatTimeout,
          maxMissed: config.heartbeatMaxMissed,
          scheduler,
        }).subscribe({
          next: (event) => {
            if (event.kind === 'ping' && socket.readyState === 1) {
              socket.send(encodeFrame({ type: MessageType.HEARTBEAT, ts: event.sentAt }));
            } else if (event.kind === 'miss') handlers.heartbeatMiss(event.missed);
          },
          error: (error: unknown) => fail(error as HeartbeatTimeoutError, CloseCode.HEARTBEAT_TIMEOUT),
        }),
      );
      subscriber.add(timer(config.heartbeatInterval, scheduler).subscribe(() => subscriber.next('stable')));
    };

    const onEnvelope = (envelope: Envelope): void => {
      if (welcomed) {
        pongs$.next();
        if (envelope.type === MessageType.HEARTBEAT_ACK) {
          handlers.heartbeatLatency(scheduler.now() - envelope.ts);
          return;
        }
        handlers.envelope(envelope);
        return;
      }
      if (envelope.type === MessageType.CONNECT && 'sessionId' in envelope) {
        welcomed = true;
        handshakeTimer.unsubscribe();
        handlers.welcome(envelope, socket);
        if (!subscriber.closed) startHeartbeat();
      } else if (envelope.type === MessageType.NACK && envelope.code === 'AUTHENTICATION_FAILED') {
        fail(
          new AuthenticationError(
            `The server rejected the API key: ${envelope.message}. Reconnection stopped.`,
          ),
          CloseCode.NORMAL,
        );
      } else {
        handlers.protocolError(
          new ProtocolError('UNEXPECTED', `Expected the server's welcome, got a ${envelope.type} envelope.`),
        );
      }
    };

    socket.onopen = () => {
      config.apiKey().then(
        (apiKey) => {
          if (socket.readyState !== 1) return;
          const hello = {
            type: MessageType.CONNECT,
            v: PROTOCOL_VERSION,
            clientId: config.clientId,
            ...(apiKey ? { apiKey } : {}),
          } as const;
          socket.send(encodeFrame(hello));
        },
        (cause: unknown) =>
          fail(new AuthenticationError(`The apiKey function failed: ${String(cause)}`), CloseCode.NORMAL),
      );
    };
    socket.onmessage = (event) => {
      const { envelopes, errors } = decodeFrame(event.data);
      for (const error of errors) handlers.protocolError(error);
      for (const envelope of envelopes) onEnvelope(envelope);
    };
    // A close event always follows an error; it carries the code we act on.
    socket.onerror = ignore;
    socket.onclose = (event) => {
      release(event.code, event.reason);
      handlers.socketClosed(socket);
      if (event.code === CloseCode.AUTHENTICATION_FAILED) {
        subscriber.error(
          new AuthenticationError(
            `The server rejected the API key (${event.reason || 'close 4001'}). Reconnection stopped.`,
          ),
        );
        return;
      }
      subscriber.error(
        new ConnectionError(
          `Connection to ${config.url} closed: ${event.code} ${closeCodeName(event.code)}${event.reason ? ` (${event.reason})` : ''}.`,
          event.code,
        ),
      );
    };

    return () => {
      pongs$.complete();
      socket.onopen = socket.onmessage = null;
      // Closing a socket that is still connecting makes `ws` emit 'error' later; it must find a listener.
      socket.onerror = ignore;
      socket.onclose = () => handlers.socketClosed(socket);
      if (socket.readyState <= 1) socket.close(CloseCode.NORMAL, 'client closed');
      release(CloseCode.NORMAL, 'client closed');
    };
  });
}

function ignore(): void {}
