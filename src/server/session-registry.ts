/** Who is on the other end of an authenticated connection. */
export interface Session {
  readonly principal: string;
  readonly clientId: string;
  /** Fresh per successful handshake; for logs and `HandlerContext`. */
  readonly sessionId: string;
  /** (principal, clientId), length-prefixed so no two pairs can collide; prefixes dedupe keys. */
  readonly key: string;
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
  private readonly perPrincipal = new Map<string, number>();

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
    this.perPrincipal.set(session.principal, this.sessionsOf(session.principal) + 1);
    let set = this.byClientId.get(session.clientId);
    if (set === undefined) {
      set = new Set();
      this.byClientId.set(session.clientId, set);
    }
    set.add(holder);
  }

  /** Forgets `holder` if it still owns its session (a replaced holder owns nothing). */
  remove(holder: C): void {
    const session = holder.session;
    if (session === undefined || this.byKey.get(session.key) !== holder) return;
    this.byKey.delete(session.key);
    const left = this.sessionsOf(session.principal) - 1;
    if (left > 0) this.perPrincipal.set(session.principal, left);
    else this.perPrincipal.delete(session.principal);
    const set = this.byClientId.get(session.clientId);
    set?.delete(holder);
    if (set?.size === 0) this.byClientId.delete(session.clientId);
  }

  /** Sessions held by `principal` (one per clientId). */
  sessionsOf(principal: string): number {
    return this.perPrincipal.get(principal) ?? 0;
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
