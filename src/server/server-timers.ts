import type { DedupeStore } from './dedupe-store';

export interface ServerTimersConfig {
  /** Ping period (ms); 0: no pings. */
  heartbeatInterval: number;
  dedupeTtl: number;
  /** Called every `heartbeatInterval`: ping each socket, terminate the silent ones. */
  heartbeat: () => void;
  store: DedupeStore;
  report: (error: unknown) => void;
}

/** The dedupe sweep runs this often at most; its cost is the number of expired entries. */
const SWEEP_INTERVAL_MS = 1000;

/**
 * The server's only two timers, whatever the number of sockets: the
 * heartbeat sweep and the dedupe expiry sweep. Both `unref()`ed so they never
 * keep a process alive. Returns the function that stops them.
 */
export function startServerTimers(config: ServerTimersConfig): () => void {
  const timers: NodeJS.Timeout[] = [];
  if (config.heartbeatInterval > 0) timers.push(setInterval(config.heartbeat, config.heartbeatInterval));
  const sweep = (): void => {
    try {
      const evicted = config.store.evictExpired(Date.now());
      if (typeof (evicted as PromiseLike<number>)?.then === 'function')
        Promise.resolve(evicted).catch(config.report);
    } catch (error) {
      config.report(error);
    }
  };
  timers.push(setInterval(sweep, Math.min(SWEEP_INTERVAL_MS, config.dedupeTtl)));
  for (const timer of timers) timer.unref();
  return () => timers.forEach((timer) => clearInterval(timer));
}
