import { randomBytes } from 'node:crypto';
import {
  OUTCOME_UNKNOWN,
  type DedupeBegin,
  type DedupeClaim,
  type DedupeLookup,
  type DedupeOutcome,
  type DedupeStore,
} from '../server/index';
import { checkRedis } from './redis-check';
import { dedupeRedisKey, exact, splitDedupeKey } from './redis-keys';
import { TurnBatcher } from './turn-batcher';
import type { RedisPort } from './redis-port';
import { CLAIM, COMPLETE, PEEK, RENEW, WATCH } from './dedupe-scripts';

export interface RedisDedupeStoreOptions {
  /** Prepended to every key and channel. @default 'rxrws:' */
  keyPrefix?: string;
  /** How long a claim outlives its node's last renewal (ms); a resend after that gets OUTCOME_UNKNOWN. @default 5000 */
  leaseMs?: number;
  /** Longest a resend on one node waits for another node's answer (ms). @default 30000 */
  waitMs?: number;
  /** How long `ready` waits for Redis (ms). @default 10000 */
  connectTimeoutMs?: number;
  /** Called when an outcome could not be written and is retried (Redis down while a handler finished). */
  onRetry?: (error: unknown) => void;
}

const UNKNOWN_JSON = JSON.stringify(OUTCOME_UNKNOWN);
const STARTED = Object.freeze({ status: 'started' }) as DedupeClaim & DedupeBegin;
const PENDING: DedupeClaim = Object.freeze({ status: 'pending' });
const EXISTS: DedupeBegin = Object.freeze({ status: 'exists' });
const OOM_RETRY_MS = 1000;
/** CLAIM's reply codes (see dedupe-scripts.ts). */
const CODE_STARTED = 'S'.charCodeAt(0);
const CODE_OTHER = 'P'.charCodeAt(0);
const CODE_MINE = 'M'.charCodeAt(0);
/** Pause between tries to record an outcome while Redis is unreachable. */
const RECORD_RETRY_MS = 200;

/**
 * The dedupe store of many nodes on one Redis (DESIGN §7): claim-or-return in
 * one Lua call, a lease renewed while the handler runs, the outcome published
 * to nodes waiting for it.
 *
 * - `claim` sets `P|<node>|<lease>` when the id is new (the handler runs),
 *   returns the remembered outcome, or `'pending'` while another live node
 *   holds it; a claim whose lease ran out (its node died) turns into
 *   `OUTCOME_UNKNOWN`, so the message is never run a second time.
 * - `complete` resolves only once Redis holds the outcome: the ack is sent
 *   after it. If Redis is down, it keeps trying (the lease is still renewed)
 *   until the entry's expiry or `close()`.
 * - Every call rejects at once while Redis is unreachable; the server nacks
 *   `DEDUPE_UNAVAILABLE` and runs nothing. An out-of-memory Redis (`OOM`)
 *   answers `'full'` (nack `DEDUPE_FULL`).
 */
export class RedisDedupeStore implements DedupeStore {
  readonly ready: Promise<void>;
  /** This process's owner token in claims. */
  readonly owner = randomBytes(9).toString('base64url');
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private readonly onRetry: ((error: unknown) => void) | undefined;
  /**
   * The claims whose handler runs (or whose outcome waits to be written) here, by server key, with
   * their tag and id part: renewed until written; `complete` reuses them.
   */
  private readonly held = new Map<string, EntryRef>();
  private readonly renewTimer: NodeJS.Timeout;
  private closed = false;
  /** One CLAIM / PEEK / RENEW / COMPLETE call per session (hash tag) per event-loop turn. */
  /** Answers each claim itself (no promise per claim on top of the batcher's). */
  private readonly claims = new TurnBatcher<ClaimItem, DedupeClaim>((tag, items) => {
    const args: Array<string | number> = [
      this.owner,
      UNKNOWN_JSON,
      this.leaseMs,
      ttlOf(items),
      this.base(tag),
    ];
    for (const item of items) args.push(item.id);
    return this.port.script(CLAIM, [this.waiterKey(tag)], args).then(
      (reply) => {
        const values = reply as string[];
        const codes = values[0]!;
        let done = 1;
        return items.map((item, i) => {
          const code = codes.charCodeAt(i);
          if (code === CODE_STARTED) {
            this.held.set(item.key, item);
            return STARTED;
          }
          if (code === CODE_OTHER) return PENDING;
          if (code === CODE_MINE) return this.mine(item);
          return { status: 'done', outcome: parse(values[done++]!) } as DedupeClaim;
        });
      },
      (error: unknown) => items.map(() => outOfMemory(error)),
    );
  });
  private readonly peeks = new TurnBatcher<string, string>((_, keys) =>
    this.port.script(PEEK, keys, [this.owner, UNKNOWN_JSON]).then(strings),
  );
  private readonly renewals = new TurnBatcher<string, string>((_, keys) =>
    this.port.script(RENEW, keys, [this.owner, this.leaseMs]).then(strings),
  );
  /** Settles each outcome itself: written, or handed to the retry loop (no promise per outcome on top of the batcher's). */
  private readonly completions = new TurnBatcher<CompleteItem, void>((tag, items) => {
    const args: Array<string | number> = [ttlOf(items), this.base(tag), 0];
    let usual = 0;
    for (const item of items) {
      if (item.value === undefined) {
        args.push(item.id);
        usual++;
      }
    }
    args[2] = usual;
    if (usual < items.length)
      for (const item of items) if (item.value !== undefined) args.push(item.id, item.value);
    return this.port.script(COMPLETE, [this.waiterKey(tag)], args).then(
      () =>
        items.map((item) => {
          this.held.delete(item.key);
        }),
      (error: unknown) =>
        items.map((item) => (item.retry ? Promise.reject(error) : this.completeRetrying(tag, item, error))),
    );
  });

  /** The session part of the last key split and its tag: a session's burst splits once. */
  private lastSession = '';
  private lastTag = '';

  constructor(
    private readonly port: RedisPort,
    options: RedisDedupeStoreOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? 'rxrws:';
    this.leaseMs = positive('leaseMs', options.leaseMs, 5000);
    this.waitMs = positive('waitMs', options.waitMs, 30_000);
    this.onRetry = options.onRetry;
    this.ready = checkRedis(port, positive('connectTimeoutMs', options.connectTimeoutMs, 10_000));
    this.ready.catch(() => undefined); // reported through listen()
    this.renewTimer = setInterval(() => this.renew(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref();
  }

  claim(key: string, expiresAt: number): Promise<DedupeClaim> {
    const { tag, id } = this.refOf(key);
    return this.claims.add(tag, { key, tag, id, expiresAt });
  }

  get(key: string, _now: number): Promise<DedupeLookup> {
    const { tag, redisKey } = dedupeRedisKey(this.prefix, key);
    return this.peeks.add(tag, redisKey).then((v) => {
      if (v === '') return undefined;
      return v === 'P' || v === 'M' ? 'pending' : parse(v);
    });
  }

  begin(key: string, expiresAt: number): Promise<DedupeBegin> {
    return this.claim(key, expiresAt).then((claim) =>
      claim.status === 'started' || claim.status === 'full' ? claim : EXISTS,
    );
  }

  /** Resolves once Redis holds the outcome (retrying while it is unreachable); only then is the ack sent. */
  complete(key: string, outcome: DedupeOutcome, expiresAt: number): Promise<void> {
    let ref = this.held.get(key);
    if (ref === undefined) {
      ref = this.refOf(key);
      this.held.set(key, ref); // renewed until written, whatever happened to the claim
    }
    // undefined: the usual outcome (DONE_OK), which the script writes itself.
    const value = outcome.ok && outcome.response === undefined ? undefined : 'D|' + JSON.stringify(outcome);
    // The usual case, written at the first try: one promise, no retry loop.
    return this.completions.add(ref.tag, { key, id: ref.id, value, expiresAt, retry: false });
  }

  /** `complete` after a failed write: retries while Redis is unreachable, until the entry's expiry or `close()`. */
  private async completeRetrying(tag: string, first: CompleteItem, error0: unknown): Promise<void> {
    const { key, expiresAt } = first;
    const item: CompleteItem = { ...first, retry: true };
    try {
      if (this.closed || Date.now() + RECORD_RETRY_MS >= expiresAt) throw error0;
      this.onRetry?.(error0);
      await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS));
      for (;;) {
        try {
          await this.completions.add(tag, item);
          return;
        } catch (error) {
          if (this.closed || Date.now() + RECORD_RETRY_MS >= expiresAt) throw error;
          this.onRetry?.(error);
          await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS));
        }
      }
    } finally {
      this.held.delete(key);
    }
  }

  /** Waits for the answer of a claim held by another node: its outcome, OUTCOME_UNKNOWN once its lease ran out, or `'pending'` after `waitMs`. */
  waitFor(key: string): Promise<DedupeLookup> {
    const { tag, redisKey } = dedupeRedisKey(this.prefix, key);
    return new Promise<DedupeLookup>((resolve) => {
      let finished = false;
      let unsubscribe: (() => void) | undefined;
      let poll: NodeJS.Timeout | undefined;
      const finish = (answer: DedupeLookup): void => {
        if (finished) return;
        finished = true;
        clearTimeout(deadline);
        clearTimeout(poll);
        unsubscribe?.();
        resolve(answer);
      };
      const deadline = setTimeout(() => finish('pending'), this.waitMs);
      // The published outcome wakes us; the poll finds a lease that ran out (nobody publishes for a dead node).
      const check = (): void => {
        this.port
          .script(
            WATCH,
            [this.waiterKey(tag), redisKey],
            [this.owner, UNKNOWN_JSON, this.waitMs + this.leaseMs],
          )
          .then(
            (reply) => {
              const v = String(reply);
              if (v === '') finish(undefined);
              else if (v.startsWith('D|')) finish(parse(v));
              else if (!finished) poll = setTimeout(check, Math.max(50, Math.floor(this.leaseMs / 2)));
            },
            () => finish('pending'),
          );
      };
      this.port
        .subscribe(redisKey, (message) => finish(parse(message)))
        .then((stop) => {
          unsubscribe = stop;
          if (finished) stop();
          else check();
        })
        .catch(() => finish('pending'));
    });
  }

  /** Redis expires entries itself (`PX`). */
  evictExpired(_now: number): number {
    return 0;
  }

  /** Stops renewing leases; claims still held run out after `leaseMs` (OUTCOME_UNKNOWN). */
  close(): void {
    this.closed = true;
    clearInterval(this.renewTimer);
  }

  /**
   * The tag and id part of a server key (as `dedupeRedisKey` splits it), sparing the split and the
   * tag lookup for a key of the same session as the last one: a key starting with a whole
   * length-prefixed session part splits at its end.
   */
  private refOf(key: string): EntryRef {
    const session = this.lastSession;
    if (session.length > 0 && key.startsWith(session)) {
      return { tag: this.lastTag, id: exact(key.slice(session.length)) };
    }
    const split = splitDedupeKey(key);
    const { tag } = dedupeRedisKey(this.prefix, key);
    if (split.id.length > 0) {
      this.lastSession = split.session;
      this.lastTag = tag;
    }
    return { tag, id: exact(split.id) };
  }

  /** The Redis keys of a session's entries start with this; their id part follows. */
  private base(tag: string): string {
    return `${this.prefix}{${tag}}d:`;
  }

  /** The marker of a node waiting on the session `tag`: COMPLETE publishes outcomes only while it exists. */
  private waiterKey(tag: string): string {
    return `${this.prefix}{${tag}}w`;
  }

  /**
   * Our own claim: running here (a duplicate), or a claim whose reply was lost to a timeout and
   * whose handler therefore never started: take it back and run it.
   */
  private mine(item: ClaimItem): DedupeClaim | Promise<DedupeClaim> {
    if (this.held.has(item.key)) return PENDING;
    return this.renewals.add(item.tag, this.base(item.tag) + item.id).then((renewed) => {
      if (renewed !== '1' || this.held.has(item.key)) return PENDING;
      this.held.set(item.key, item);
      return STARTED;
    });
  }

  private renew(): void {
    for (const { tag, id } of this.held.values()) {
      this.renewals.add(tag, this.base(tag) + id).catch(() => undefined); // the next tick tries again
    }
  }
}

/** Where a server key's entry lives: its session's tag (the batch it joins) and its id part (`exact`). */
interface EntryRef {
  tag: string;
  id: string;
}

/** A claim of the batch: the server key, its tag and id part (kept in `held` once claimed), its expiry. */
interface ClaimItem extends EntryRef {
  key: string;
  expiresAt: number;
}

/** An outcome of the batch: its server key, id part, value (undefined for DONE_OK) and expiry; `retry` when `completeRetrying` writes it (it retries itself). */
interface CompleteItem {
  key: string;
  id: string;
  value: string | undefined;
  expiresAt: number;
  retry: boolean;
}

function strings(value: unknown): string[] {
  return (value as unknown[]).map(String);
}

function parse(value: string): DedupeOutcome {
  return JSON.parse(value.slice(2)) as DedupeOutcome;
}

/** One ttl for a batch: the longest asked (the items of one turn differ by at most the turn's length). */
function ttlOf(items: ReadonlyArray<{ expiresAt: number }>): number {
  let expiresAt = 0;
  for (const item of items) if (item.expiresAt > expiresAt) expiresAt = item.expiresAt;
  return Math.max(1, Math.ceil(expiresAt - Date.now()));
}

function outOfMemory(error: unknown): DedupeClaim {
  if (error instanceof Error && error.message.startsWith('OOM'))
    return { status: 'full', retryAfterMs: OOM_RETRY_MS };
  throw error;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new TypeError(`\`${name}\` must be a positive integer (ms), got ${String(value)}.`);
  return value;
}
