import type { DataEnvelope } from '../protocol';
import type { DedupeStore } from './dedupe-store';
import type { InboundLog } from './inbound-log';
import type { Session } from './session-registry';

/** Whether the backend can take writes now, and why not. */
export interface BackendHealth {
  readonly healthy: boolean;
  /** `'ok'`, or what failed (e.g. `'Redis unreachable: connect ECONNREFUSED 127.0.0.1:6379'`). */
  readonly detail: string;
  /** When it last changed (epoch ms). */
  readonly since: number;
}

/**
 * Who an at-most-once push is for: a principal's sessions (or the one of
 * `clientId`); a bare `clientId` only on a single-principal server; everybody
 * when both are undefined (broadcast).
 */
export interface PushAddress {
  readonly principal?: string;
  readonly clientId?: string;
}

/** An at-most-once push for other nodes. */
export interface BackendPush extends PushAddress {
  readonly envelope: DataEnvelope;
}

/** What a server tells its backend to do on this node when other nodes act. */
export interface BackendNode {
  /** Another node took the session with this key (see `sessionKey`): close the holder here, if it is still `sessionId`, with 4003. */
  sessionTaken(key: string, sessionId: string): void;
  /** A push sent on another node: deliver it to the sessions here. */
  deliver(push: BackendPush): void;
  /** The backend's health changed (lost or recovered). */
  healthChanged(health: BackendHealth): void;
}

/**
 * Shared state for many server nodes behind a load balancer (DESIGN §7):
 * the dedupe store, the inbound log, the session registry across nodes and
 * push fan-out. `rx-reliable-ws/redis`'s `redisBackend()` is one; the server
 * core knows only this interface. One backend per server.
 */
export interface ServerBackend {
  readonly dedupeStore: DedupeStore;
  /** The inbound streams log shared by the nodes (DESIGN §6). */
  readonly inboundLog?: InboundLog;
  /** Called by `listen()` before the port opens; a rejection refuses to start (e.g. an evicting Redis). */
  start(node: BackendNode): Promise<void>;
  /** A session was registered here: other nodes close their holder of the same key. */
  sessionOpened(session: Session): void;
  /** Hands an at-most-once push to the other nodes (this node delivered it already). */
  push(push: BackendPush): void;
  health(): BackendHealth;
  /** Called by `server.close()`. */
  close(): Promise<void>;
}

/** What a `SessionDirectory` tells its node when other nodes act. */
export type SessionDirectoryNode = Pick<BackendNode, 'sessionTaken' | 'deliver'>;

/**
 * The session registry across nodes and at-most-once push fan-out: the
 * sessions part of a `ServerBackend`, as a port of its own so every
 * implementation (in process, Redis) runs one contract suite
 * (spec/contracts/describe-session-directory.ts). One directory per node;
 * the nodes of one app share its state.
 */
export interface SessionDirectory {
  /** Starts listening for the other nodes; resolves once this node hears them. */
  start(node: SessionDirectoryNode): Promise<void>;
  /**
   * A session was registered on this node: the node that held the same key
   * before is told `sessionTaken`. Of sessions opened at once on several
   * nodes, the last in the directory's order stays. Never throws: with the
   * shared state unreachable the session is served here and another node's
   * holder stays until it closes.
   */
  sessionOpened(session: Session): void;
  /** Hands a push to every other node (`deliver`), at most once each, its address unchanged; never throws. */
  push(push: BackendPush): void;
  /** Stops delivering to this node. */
  close(): Promise<void>;
}
