import type { DataEnvelope } from '../protocol';
import type { DedupeBegin, DedupeLookup, DedupeOutcome, DedupeStore, MaybePromise } from './dedupe-store';
import { HandlerDeadlines } from './handler-deadlines';
import { PrincipalShare } from './principal-share';
import { boundOutcome } from './response-size';
import type { Session } from './session-registry';

/** What a handler learns about the message besides its payload. */
export interface HandlerContext {
  readonly clientId: string;
  readonly principal: string;
  readonly messageId: string;
  readonly sessionId: string;
  readonly name: string;
}

/**
 * Handles one message name. The returned value (or resolved value) travels
 * back in the ack's `response`; a throw or rejection becomes a nack whose code
 * is the error's string `code` (else `HANDLER_ERROR`).
 */
export type MessageHandler<P = unknown, R = unknown> = (
  payload: P,
  ctx: HandlerContext,
) => R | PromiseLike<R>;

/** The answer for one message id; nacks may say when to try again. */
export type Answer =
  | DedupeOutcome
  | { readonly ok: false; readonly code: string; readonly message: string; readonly retryAfterMs: number };

export type Reply = (messageId: string, answer: Answer) => void;

/** What the dispatcher reports (stats and events). */
export interface DispatchObserver {
  duplicate(session: Session, envelope: DataEnvelope, inFlight: boolean): void;
  handled(session: Session, envelope: DataEnvelope, outcome: DedupeOutcome): void;
  error(error: unknown, session: Session): void;
}

/** The dispatcher's bounds (docs/security.md). */
export interface DispatchLimits {
  /** Past this a running handler's outcome is recorded as nack `HANDLER_TIMEOUT` (ms; Infinity: never). */
  handlerTimeoutMs: number;
  /** Most ids one principal may hold in the dedupe window (Infinity: no share). */
  maxPerPrincipal: number;
  /** Most copies of a pending id answered when it settles (the original included). */
  maxWaiters: number;
  /** The peer's frame limit when its session does not say (v1 clients). */
  defaultMaxFrameBytes: number;
}

export const DEFAULT_DISPATCH_LIMITS: DispatchLimits = {
  handlerTimeoutMs: 30_000,
  maxPerPrincipal: Infinity,
  maxWaiters: 8,
  defaultMaxFrameBytes: 1024 * 1024,
};

const OK_EMPTY: DedupeOutcome = Object.freeze({ ok: true });
const MAX_ERROR_MESSAGE = 1000;

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

/** Continues synchronously when `value` is synchronous: the memory store costs no microtask. */
function then<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return isPromiseLike<T>(value) ? Promise.resolve(value).then(next) : next(value);
}

/**
 * Routes app messages to handlers, exactly once per (principal, clientId, id)
 * within the dedupe window. A duplicate of a message still being handled
 * waits for the same answer; a later duplicate gets the remembered one.
 */
export class MessageDispatcher {
  private readonly handlers = new Map<string, MessageHandler>();
  /**
   * Answers not known yet, by dedupe key: who to answer when they are (the
   * original's reply first). At most `maxWaiters` are kept, so resends of a
   * stuck id cost no memory.
   */
  private readonly inflight = new Map<string, Reply[]>();
  private readonly limits: DispatchLimits;
  private readonly deadlines: HandlerDeadlines;
  private readonly shares: PrincipalShare;

  constructor(
    private readonly store: DedupeStore,
    private readonly ttlMs: number,
    private readonly observer: DispatchObserver,
    limits: Partial<DispatchLimits> = {},
  ) {
    this.limits = { ...DEFAULT_DISPATCH_LIMITS, ...limits };
    this.deadlines = new HandlerDeadlines(this.limits.handlerTimeoutMs);
    this.shares = new PrincipalShare(this.limits.maxPerPrincipal, ttlMs);
  }

  /** Handlers past their deadline are no longer waited for (the server is closing). */
  stop(): void {
    this.deadlines.stop();
  }

  /** Forgets per-principal tallies that are empty (called from the eviction timer). */
  sweep(now: number): void {
    this.shares.sweep(now);
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  register(name: string, handler: MessageHandler): void {
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError('`name` must be a non-empty string.');
    if (typeof handler !== 'function')
      throw new TypeError(`The handler for ${JSON.stringify(name)} must be a function.`);
    if (this.handlers.has(name))
      throw new TypeError(`A handler for ${JSON.stringify(name)} is already registered.`);
    this.handlers.set(name, handler);
  }

  /**
   * Answers `envelope` through `reply`, now or later; never throws.
   * `isRepeat`, asked only when the id turns out to be a duplicate, says
   * whether an earlier copy in the same frame was already answered: then this
   * copy is not (one answer per id per frame, however many copies it holds).
   */
  dispatch(session: Session, envelope: DataEnvelope, reply: Reply, isRepeat?: () => boolean): void {
    const key = session.key + envelope.id;
    const waiters = this.inflight.get(key);
    if (waiters !== undefined) {
      this.observer.duplicate(session, envelope, true);
      if (isRepeat?.() === true) return;
      // Beyond the bound a resend goes unanswered now; its next resend finds the outcome remembered.
      if (waiters.length < this.limits.maxWaiters) waiters.push(reply);
      return;
    }
    let answer: MaybePromise<Answer | undefined>;
    try {
      if (this.store.claim !== undefined) {
        answer = this.claim(session, envelope, key, isRepeat);
      } else {
        // Not `then()`: a closure per message costs more than this branch.
        const known = this.store.get(key, Date.now());
        answer = isPromiseLike<DedupeLookup>(known)
          ? Promise.resolve(known).then((k) => this.decide(session, envelope, key, k, isRepeat))
          : this.decide(session, envelope, key, known, isRepeat);
      }
    } catch (error) {
      answer = this.storeFailure(error, session);
    }
    if (!isPromiseLike<Answer | undefined>(answer)) {
      if (answer !== undefined) this.answer(reply, envelope.id, answer, session);
      return;
    }
    const replies = [reply];
    this.inflight.set(key, replies);
    void Promise.resolve(answer)
      .catch((error: unknown) => this.storeFailure(error, session))
      .then((final) => {
        this.inflight.delete(key);
        if (final !== undefined) for (const r of replies) this.answer(r, envelope.id, final, session);
      });
  }

  /** A reply that throws costs that answer, never the process (this may run in a promise callback). */
  private answer(reply: Reply, id: string, answer: Answer, session: Session): void {
    try {
      reply(id, answer);
    } catch (error) {
      this.observer.error(error, session);
    }
  }

  /** The shared-store path: claim-or-return in one step; a claim held elsewhere is waited for. */
  private claim(
    session: Session,
    envelope: DataEnvelope,
    key: string,
    isRepeat: (() => boolean) | undefined,
  ): MaybePromise<Answer | undefined> {
    const handler = this.handlers.get(envelope.name);
    if (handler === undefined) return this.decide(session, envelope, key, undefined, isRepeat);
    const now = Date.now();
    const shareWait = this.shares.claim(session.principal, now);
    if (shareWait !== undefined) return this.shareFull(shareWait);
    return then(this.store.claim!(key, now + this.ttlMs), (claim): MaybePromise<Answer | undefined> => {
      if (claim.status === 'started') return this.invoke(session, envelope, key, handler);
      this.shares.release(session.principal, now);
      if (claim.status === 'done') return this.decide(session, envelope, key, claim.outcome, isRepeat);
      if (claim.status === 'full') return this.full(claim.retryAfterMs);
      return this.awaitOther(session, envelope, key);
    });
  }

  /** Another holder runs it: wait for its answer when the store can, else stay silent (the client retries). */
  private awaitOther(
    session: Session,
    envelope: DataEnvelope,
    key: string,
  ): MaybePromise<Answer | undefined> {
    this.observer.duplicate(session, envelope, true);
    if (this.store.waitFor === undefined) return undefined;
    return this.store.waitFor(key).then((known) => (known === 'pending' ? undefined : known));
  }

  private decide(
    session: Session,
    envelope: DataEnvelope,
    key: string,
    known: DedupeOutcome | 'pending' | undefined,
    isRepeat: (() => boolean) | undefined,
  ): MaybePromise<Answer | undefined> {
    if (known === 'pending') return this.awaitOther(session, envelope, key);
    if (known !== undefined) {
      this.observer.duplicate(session, envelope, false);
      return isRepeat?.() === true ? undefined : known;
    }
    const handler = this.handlers.get(envelope.name);
    if (handler === undefined) {
      return {
        ok: false,
        code: 'UNKNOWN_MESSAGE_TYPE',
        message: `No handler for message name ${JSON.stringify(envelope.name)}.`,
      };
    }
    const now = Date.now();
    const shareWait = this.shares.claim(session.principal, now);
    if (shareWait !== undefined) return this.shareFull(shareWait);
    const begun = this.store.begin(key, now + this.ttlMs);
    return isPromiseLike<DedupeBegin>(begun)
      ? Promise.resolve(begun).then((b) => this.begun(b, session, envelope, key, handler, now))
      : this.begun(begun, session, envelope, key, handler, now);
  }

  /** What `begin` said: run the handler, or why not. */
  private begun(
    claim: DedupeBegin,
    session: Session,
    envelope: DataEnvelope,
    key: string,
    handler: MessageHandler,
    now: number,
  ): MaybePromise<Answer | undefined> {
    if (claim.status === 'started') return this.invoke(session, envelope, key, handler);
    this.shares.release(session.principal, now);
    if (claim.status === 'full') return this.full(claim.retryAfterMs);
    return this.awaitOther(session, envelope, key);
  }

  private shareFull(retryAfterMs: number): Answer {
    return {
      ok: false,
      code: 'DEDUPE_FULL',
      message: `DEDUPE_FULL: this account holds its share of ${this.limits.maxPerPrincipal} message ids in the dedupe window; retry after \`retryAfter\` ms.`,
      retryAfterMs,
    };
  }

  private full(retryAfterMs: number): Answer {
    return {
      ok: false,
      code: 'DEDUPE_FULL',
      message: 'The server remembers as many message ids as it may; retry after `retryAfter` ms.',
      retryAfterMs,
    };
  }

  private invoke(
    session: Session,
    envelope: DataEnvelope,
    key: string,
    handler: MessageHandler,
  ): MaybePromise<Answer> {
    const ctx: HandlerContext = {
      clientId: session.clientId,
      principal: session.principal,
      messageId: envelope.id,
      sessionId: session.sessionId,
      name: envelope.name,
    };
    let result: unknown;
    try {
      result = handler(envelope.payload, ctx);
    } catch (error) {
      return this.finish(session, envelope, key, failure(error));
    }
    if (isPromiseLike(result)) {
      return this.withDeadline(result, session, envelope).then((outcome) =>
        this.finish(session, envelope, key, outcome),
      );
    }
    return this.finish(session, envelope, key, success(result));
  }

  /** The handler's outcome, or nack `HANDLER_TIMEOUT` once `handlerTimeout` has passed. */
  private withDeadline(
    result: PromiseLike<unknown>,
    session: Session,
    envelope: DataEnvelope,
  ): Promise<DedupeOutcome> {
    return new Promise<DedupeOutcome>((resolve) => {
      let late = false;
      const token = this.deadlines.add(() => {
        late = true;
        resolve(timedOut(this.limits.handlerTimeoutMs));
      });
      Promise.resolve(result)
        .then(success, failure)
        .then((outcome) => {
          if (late) {
            // Already answered HANDLER_TIMEOUT, which stays the outcome; the app should know it finished after all.
            const error = new Error(
              `The handler for ${JSON.stringify(envelope.name)} (message ${JSON.stringify(envelope.id)}) settled ` +
                `after handlerTimeout (${this.limits.handlerTimeoutMs} ms); its outcome stays HANDLER_TIMEOUT.`,
            );
            this.observer.error(error, session);
            return;
          }
          this.deadlines.cancel(token);
          resolve(outcome);
        });
    });
  }

  /** Remembers the outcome; a failing store is reported but the real outcome is still sent. */
  private finish(
    session: Session,
    envelope: DataEnvelope,
    key: string,
    handled: DedupeOutcome,
  ): MaybePromise<Answer> {
    const outcome = boundOutcome(handled, session.maxFrameBytes ?? this.limits.defaultMaxFrameBytes);
    this.observer.handled(session, envelope, outcome);
    try {
      const stored = this.store.complete(key, outcome, Date.now() + this.ttlMs);
      if (isPromiseLike(stored)) {
        return Promise.resolve(stored).then(
          () => outcome,
          (error: unknown) => {
            this.observer.error(error, session);
            return outcome;
          },
        );
      }
    } catch (error) {
      this.observer.error(error, session);
    }
    return outcome;
  }

  private storeFailure(error: unknown, session: Session): Answer {
    this.observer.error(error, session);
    return {
      ok: false,
      code: 'DEDUPE_UNAVAILABLE',
      message: 'The dedupe store failed; the message was not processed.',
      retryAfterMs: 1000,
    };
  }
}

function success(response: unknown): DedupeOutcome {
  return response === undefined ? OK_EMPTY : { ok: true, response };
}

function timedOut(ms: number): DedupeOutcome {
  return {
    ok: false,
    code: 'HANDLER_TIMEOUT',
    message: `HANDLER_TIMEOUT: the handler did not settle within ${ms} ms (handlerTimeout); its outcome is unknown and it will not run again for this id.`,
  };
}

function failure(error: unknown): DedupeOutcome {
  let code = 'HANDLER_ERROR';
  let message = 'Handler failed.';
  try {
    const candidate = (error as { code?: unknown } | null)?.code;
    if (typeof candidate === 'string' && candidate.length > 0) code = candidate;
    message = error instanceof Error ? error.message : String(error);
  } catch {
    // A hostile thrown value (throwing getter, bad toString) keeps the defaults.
  }
  return { ok: false, code, message: message.slice(0, MAX_ERROR_MESSAGE) };
}
