import type { BackendPush, Session, SessionDirectory, SessionDirectoryNode } from '../server/index';
import { sessionTag } from './redis-keys';
import type { RedisPort, RedisScript } from './redis-port';

/** KEYS: the session's counter. ARGV: channel, node, session id, session key. Orders takeovers across nodes. */
const ANNOUNCE: RedisScript = {
  name: 'session_announce',
  lua: `local seq = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], 86400000)
redis.call('PUBLISH', ARGV[1], seq .. '|' .. ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4])
return seq`,
};

/** Local sessions whose takeover order we track; the oldest are forgotten past this. */
const MAX_TRACKED_SESSIONS = 100_000;

interface Tracked {
  sessionId: string;
  /** Our announcement's place in the key's order, once Redis answered. */
  seq: number | undefined;
  /** The highest place announced by another node while ours was unanswered. */
  seenRemote: number;
}

export interface RedisSessionDirectoryOptions {
  /** Prepended to the keys and channels. @default 'rxrws:' */
  keyPrefix?: string;
  /** This node's name on the channels (unique among the nodes). */
  nodeId: string;
}

/**
 * The session registry across nodes and push fan-out on Redis: a session
 * opened here is announced on `<prefix>sessions` with its place in the key's
 * order (an `INCR` in the same script), and the node holding an earlier one
 * closes it; pushes go out on `<prefix>push` (at most once: a `PUBLISH` that
 * fails is dropped). Part of `redisBackend()`.
 */
export class RedisSessionDirectory implements SessionDirectory {
  private readonly prefix: string;
  private readonly nodeId: string;
  private readonly sessionsChannel: string;
  private readonly pushChannel: string;
  private readonly tracked = new Map<string, Tracked>();
  private node: SessionDirectoryNode | undefined;
  private stops: Array<() => void> = [];

  constructor(
    private readonly port: RedisPort,
    options: RedisSessionDirectoryOptions,
  ) {
    this.prefix = options.keyPrefix ?? 'rxrws:';
    this.nodeId = options.nodeId;
    this.sessionsChannel = `${this.prefix}sessions`;
    this.pushChannel = `${this.prefix}push`;
  }

  async start(node: SessionDirectoryNode): Promise<void> {
    this.node = node;
    this.stops.push(
      await this.port.subscribe(this.sessionsChannel, (message) => this.onAnnounce(message)),
      await this.port.subscribe(this.pushChannel, (message) => this.onPush(message)),
    );
  }

  sessionOpened(session: Session): void {
    const entry: Tracked = { sessionId: session.sessionId, seq: undefined, seenRemote: 0 };
    this.tracked.delete(session.key);
    this.tracked.set(session.key, entry);
    if (this.tracked.size > MAX_TRACKED_SESSIONS) this.tracked.delete(this.tracked.keys().next().value!);
    const counter = `${this.prefix}{${sessionTag(session.key)}}s`;
    this.port
      .script(ANNOUNCE, [counter], [this.sessionsChannel, this.nodeId, session.sessionId, session.key])
      .then(
        (seq) => {
          entry.seq = Number(seq);
          if (entry.seenRemote > entry.seq) this.taken(session.key, entry);
        },
        () => undefined, // Redis down: the session is served here; another node's copy stays until it closes
      );
  }

  push(push: BackendPush): void {
    const message = `${this.nodeId}|${JSON.stringify({ p: push.principal, c: push.clientId, e: push.envelope })}`;
    this.port.command('PUBLISH', [this.pushChannel, message]).catch(() => undefined); // at most once
  }

  close(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    this.node = undefined;
    return Promise.resolve();
  }

  private onAnnounce(message: string): void {
    const [seqText, node, sessionId, ...rest] = message.split('|');
    if (node === this.nodeId) return;
    const key = rest.join('|');
    const entry = this.tracked.get(key);
    if (entry === undefined || entry.sessionId === sessionId) return;
    const seq = Number(seqText);
    if (entry.seq === undefined) entry.seenRemote = Math.max(entry.seenRemote, seq);
    else if (seq > entry.seq) this.taken(key, entry);
  }

  private taken(key: string, entry: Tracked): void {
    this.tracked.delete(key);
    this.node?.sessionTaken(key, entry.sessionId);
  }

  private onPush(message: string): void {
    const bar = message.indexOf('|');
    if (message.slice(0, bar) === this.nodeId) return;
    try {
      const { p, c, e } = JSON.parse(message.slice(bar + 1)) as {
        p?: string;
        c?: string;
        e: BackendPush['envelope'];
      };
      this.node?.deliver({
        ...(p !== undefined && { principal: p }),
        ...(c !== undefined && { clientId: c }),
        envelope: e,
      });
    } catch {
      // Not ours (another writer on the channel): ignore.
    }
  }
}
