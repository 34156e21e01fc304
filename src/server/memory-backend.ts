import { MemoryDedupeStore, type MemoryDedupeStoreOptions } from './dedupe-store';
import type { InboundRetention } from './inbound-log';
import { MemoryInboundLog } from './memory-inbound-log';
import type {
  BackendHealth,
  BackendNode,
  BackendPush,
  ServerBackend,
  SessionDirectory,
  SessionDirectoryNode,
} from './server-backend';
import type { Session } from './session-registry';

export interface MemoryBackendHubOptions {
  /** Of the shared dedupe store. */
  dedupe?: MemoryDedupeStoreOptions;
  /** Of the shared inbound log. */
  inboundRetention?: Partial<InboundRetention>;
}

/** Local sessions whose takeover we track per node; the oldest are forgotten past this. */
const MAX_TRACKED_SESSIONS = 100_000;

/**
 * Shared state for several server nodes in ONE process: a dedupe store, an
 * inbound log and a session directory they all use, as `redisBackend()` does
 * across processes. A test double for multi-node specs that need no Redis,
 * and the in-process implementation of the `SessionDirectory` port. A resend
 * that reaches node B while node A still runs its handler is not waited for
 * here (the memory store has no `waitFor`): A answers on its own connection.
 *
 * ## Example
 * ```ts
 * const hub = new MemoryBackendHub();
 * const a = new ReliableWebSocketServer({ port: 0, backend: hub.backend() });
 * const b = new ReliableWebSocketServer({ port: 0, backend: hub.backend() });
 * ```
 */
export class MemoryBackendHub {
  readonly dedupeStore: MemoryDedupeStore;
  readonly inboundLog: MemoryInboundLog;
  /** @internal */
  readonly directories = new Set<MemorySessionDirectory>();
  private readonly backends = new Set<BackendNode>();
  private current: BackendHealth = { healthy: true, detail: 'ok', since: Date.now() };

  constructor(options: MemoryBackendHubOptions = {}) {
    this.dedupeStore = new MemoryDedupeStore(options.dedupe);
    this.inboundLog = new MemoryInboundLog(options.inboundRetention);
  }

  /** One node's session directory on this hub. */
  directory(): SessionDirectory {
    return new MemorySessionDirectory(this);
  }

  /** One node's backend (`new ReliableWebSocketServer({ backend: hub.backend() })`); one per server. */
  backend(): ServerBackend {
    const sessions = this.directory();
    let node: BackendNode | undefined;
    return {
      dedupeStore: this.dedupeStore,
      inboundLog: this.inboundLog,
      start: async (n) => {
        node = n;
        this.backends.add(n);
        await sessions.start(n);
      },
      sessionOpened: (session) => sessions.sessionOpened(session),
      push: (push) => sessions.push(push),
      health: () => this.current,
      close: async () => {
        if (node !== undefined) this.backends.delete(node);
        await sessions.close(); // the shared store and log stay for the other nodes
      },
    };
  }

  /** Whether the nodes reach each other (false drops takeovers and pushes, as a partition would). */
  get reachable(): boolean {
    return this.current.healthy;
  }

  /** Simulates losing (false) and regaining (true) the shared state: health, `events$` and dropped fan-out. */
  setReachable(reachable: boolean): void {
    if (reachable === this.current.healthy) return;
    this.current = {
      healthy: reachable,
      detail: reachable ? 'ok' : 'memory backend unreachable (simulated)',
      since: Date.now(),
    };
    for (const node of this.backends) node.healthChanged(this.current);
  }
}

class MemorySessionDirectory implements SessionDirectory {
  /** Session key → the session id this node holds. */
  private readonly tracked = new Map<string, string>();
  private node: SessionDirectoryNode | undefined;

  constructor(private readonly hub: MemoryBackendHub) {}

  start(node: SessionDirectoryNode): Promise<void> {
    this.node = node;
    this.hub.directories.add(this);
    return Promise.resolve();
  }

  sessionOpened(session: Session): void {
    this.tracked.delete(session.key);
    this.tracked.set(session.key, session.sessionId);
    if (this.tracked.size > MAX_TRACKED_SESSIONS) this.tracked.delete(this.tracked.keys().next().value!);
    if (!this.hub.reachable) return;
    // The order is the order of the calls: whoever held the key before is taken, now, so of
    // sessions opened at once on several nodes the last one stays. Told on a later microtask, as a
    // message from another node would be.
    for (const other of this.hub.directories) {
      if (other === this) continue;
      const held = other.tracked.get(session.key);
      if (held === undefined || held === session.sessionId) continue;
      other.tracked.delete(session.key);
      queueMicrotask(() => other.node?.sessionTaken(session.key, held));
    }
  }

  push(push: BackendPush): void {
    if (!this.hub.reachable) return; // at most once
    for (const other of this.hub.directories) {
      if (other === this) continue;
      queueMicrotask(() => other.node?.deliver(push));
    }
  }

  close(): Promise<void> {
    this.hub.directories.delete(this);
    this.node = undefined;
    return Promise.resolve();
  }
}
