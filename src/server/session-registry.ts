/** Who is on the other end of an authenticated connection. */
export interface Session {
  readonly principal: string;
  readonly clientId: string;
  /** Fresh per successful handshake; for logs and `HandlerContext`. */
  readonly sessionId: string;
  /** (principal, clientId), length-prefixed so no two pairs can collide; prefixes dedupe keys. */
  readonly key: string;
  /** Largest frame the peer accepts, in bytes (its hello's `maxPayload`; 1 MiB for a v1 client without it). */
  readonly maxFrameBytes?: number;
}

/** Anything that can hold a session and be told it was replaced. */
export interface SessionHolder {
  readonly session: Session | undefined;
  /** Called on the older holder when a newer connection takes its session. */
  replaced(): void;
}

export function sessionKey(principal: string, clientId: string): string {
  return `${principal.length}:${principal}${clientId.length}:${clientId}:`;
}

/**
 * The authenticated connections, one per (principal, clientId). A newer
 * connection with the same key takes over; the older one is told to close
 * (4003), so a client that reconnects before the server noticed the old
 * socket died is not locked out by it.
 */
export class SessionRegistry<C extends SessionHolder> {
  private readonly byKey = new Map<string, C>();
  private readonly byClientId = new Map<string, Set<C>>();
  private readonly byPrincipal = new Map<string, Set<C>>();

  get size(): number {
    return this.byKey.size;
  }

  /** Registers `holder` (its `session` must be set); the previous holder of the key, if any, is replaced. */
  register(holder: C): void {
    const session = holder.session!;
    const previous = this.byKey.get(session.key);
    if (previous === holder) return;
    if (previous !== undefined) {
      this.remove(previous);
      previous.replaced();
    }
    this.byKey.set(session.key, holder);
    addTo(this.byPrincipal, session.principal, holder);
    addTo(this.byClientId, session.clientId, holder);
  }

  /** Forgets `holder` if it still owns its session (a replaced holder owns nothing). */
  remove(holder: C): void {
    const session = holder.session;
    if (session === undefined || this.byKey.get(session.key) !== holder) return;
    this.byKey.delete(session.key);
    removeFrom(this.byPrincipal, session.principal, holder);
    removeFrom(this.byClientId, session.clientId, holder);
  }

  /** Sessions held by `principal` (one per clientId). */
  sessionsOf(principal: string): number {
    return this.byPrincipal.get(principal)?.size ?? 0;
  }

  /** Every session of `principal` (one per clientId). */
  withPrincipal(principal: string): ReadonlySet<C> | undefined {
    return this.byPrincipal.get(principal);
  }

  /** Whether a session with this key (see {@link sessionKey}) is held. */
  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The holder of the session with this key, if any. */
  get(key: string): C | undefined {
    return this.byKey.get(key);
  }

  /** Every session with this clientId (one per principal using it). */
  withClientId(clientId: string): ReadonlySet<C> | undefined {
    return this.byClientId.get(clientId);
  }

  values(): IterableIterator<C> {
    return this.byKey.values();
  }
}

function addTo<C>(index: Map<string, Set<C>>, key: string, holder: C): void {
  let set = index.get(key);
  if (set === undefined) {
    set = new Set();
    index.set(key, set);
  }
  set.add(holder);
}

function removeFrom<C>(index: Map<string, Set<C>>, key: string, holder: C): void {
  const set = index.get(key);
  set?.delete(holder);
  if (set?.size === 0) index.delete(key);
}
