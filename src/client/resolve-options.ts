import { asyncScheduler } from 'rxjs';
import {
  DEFAULT_BACKOFF_CONFIG,
  DEFAULT_CLIENT_OPTIONS,
  type ReliableClientOptions,
  type ResolvedClientOptions,
} from './client-options';

const POSITIVE = [
  'reconnectInterval',
  'heartbeatInterval',
  'heartbeatTimeout',
  'messageTimeout',
  'queueSize',
  'maxInFlight',
  'connectTimeout',
  'defaultTTL',
] as const;
const NON_NEGATIVE_INTEGERS = ['maxReconnectAttempts', 'maxRetries'] as const;

/** Spreads options over the defaults and throws a TypeError naming the first invalid option. */
export function resolveClientOptions(
  url: string,
  options: ReliableClientOptions = {},
): ResolvedClientOptions {
  if (typeof url !== 'string' || !/^wss?:\/\//i.test(url)) {
    throw new TypeError(`url must be a ws:// or wss:// URL, got ${JSON.stringify(url)}.`);
  }
  if (/[?&](api[-_]?key|token)=/i.test(url)) {
    throw new TypeError(
      'Do not put the API key in the URL (it ends up in logs); pass it as the `apiKey` option.',
    );
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved = {
    ...DEFAULT_CLIENT_OPTIONS,
    scheduler: asyncScheduler,
    apiKey: undefined,
    clientId: undefined,
    storage: undefined,
    WebSocketCtor: undefined,
    protocols: undefined,
    ...defined,
    url,
    backoff: { ...DEFAULT_BACKOFF_CONFIG, ...options.backoff },
  } as ResolvedClientOptions;

  for (const key of POSITIVE) {
    const value = resolved[key];
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      throw new TypeError(`${key} must be a positive finite number of ms, got ${String(value)}.`);
    }
  }
  for (const key of NON_NEGATIVE_INTEGERS) {
    const value = resolved[key];
    // `Infinity` reads naturally as "never give up".
    if (!(Number.isInteger(value) || value === Infinity) || value < 0)
      throw new TypeError(`${key} must be a whole number >= 0 or Infinity, got ${String(value)}.`);
  }
  if (!Number.isInteger(resolved.heartbeatMaxMissed) || resolved.heartbeatMaxMissed < 1) {
    throw new TypeError(
      `heartbeatMaxMissed must be a whole number >= 1, got ${String(resolved.heartbeatMaxMissed)}.`,
    );
  }
  if (
    resolved.clientId !== undefined &&
    (typeof resolved.clientId !== 'string' ||
      resolved.clientId.length === 0 ||
      resolved.clientId.length > 128)
  ) {
    throw new TypeError('clientId must be a string of 1 to 128 characters.');
  }
  if (
    resolved.apiKey !== undefined &&
    typeof resolved.apiKey !== 'string' &&
    typeof resolved.apiKey !== 'function'
  ) {
    throw new TypeError('apiKey must be a string or a function returning one.');
  }
  if (resolved.storageFallback !== 'none' && resolved.storageFallback !== 'memory') {
    throw new TypeError(
      `storageFallback must be 'none' or 'memory', got ${JSON.stringify(resolved.storageFallback)}.`,
    );
  }
  if (typeof resolved.singleSender !== 'boolean') {
    throw new TypeError(`singleSender must be a boolean, got ${String(resolved.singleSender)}.`);
  }
  const { multiplier, maxInterval, jitter } = resolved.backoff;
  if (!(multiplier >= 1)) throw new TypeError(`backoff.multiplier must be >= 1, got ${String(multiplier)}.`);
  if (!(maxInterval > 0)) throw new TypeError(`backoff.maxInterval must be > 0, got ${String(maxInterval)}.`);
  if (!['none', 'full', 'equal'].includes(jitter)) {
    throw new TypeError(`backoff.jitter must be 'none', 'full' or 'equal', got ${JSON.stringify(jitter)}.`);
  }
  return resolved;
}
