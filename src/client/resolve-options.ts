import { asyncScheduler } from 'rxjs';
import { checkCount, checkPositive, invalidOption, isPositiveNumber } from '../protocol/option-checks';
import { checkOptionNames } from '../protocol/option-names';
import {
  DEFAULT_BACKOFF_CONFIG,
  DEFAULT_CLIENT_OPTIONS,
  type ReliableClientOptions,
  type ResolvedClientOptions,
} from './client-options';
import { SHORT_TEXT, isShortText } from './validate-outbound';

/** Every option name `ReliableClientOptions` knows: others throw (JavaScript has no excess-property check). */
const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  ...Object.keys(DEFAULT_CLIENT_OPTIONS),
  ...['apiKey', 'clientId', 'storage', 'WebSocketCtor', 'scheduler', 'backoff', 'protocols'],
]);
const KNOWN_BACKOFF: ReadonlySet<string> = new Set(Object.keys(DEFAULT_BACKOFF_CONFIG));

/** Throws a TypeError naming the option unless its value passes. */
type Rule = (name: string, value: never) => void;

const rule =
  (expected: string, valid: (value: never) => boolean): Rule =>
  (name, value) => {
    if (!valid(value)) throw invalidOption(name, expected, value);
  };

/** A rule for an option with a fixed set of values. */
const oneOf = (...values: unknown[]): Rule =>
  rule(values.map((value) => (typeof value === 'string' ? `'${value}'` : value)).join(' or '), (value) =>
    values.includes(value),
  );

const RULES: Record<string, Rule> = {
  reconnectInterval: checkPositive,
  heartbeatInterval: checkPositive,
  heartbeatTimeout: checkPositive,
  messageTimeout: checkPositive,
  queueSize: checkPositive,
  maxInFlight: checkPositive,
  connectTimeout: checkPositive,
  defaultTTL: checkPositive,
  maxReconnectAttempts: checkCount,
  reconnectTimeout: rule(
    'a positive number of ms or Infinity',
    (value: number) => value === Infinity || isPositiveNumber(value),
  ),
  maxRetries: checkCount,
  heartbeatMaxMissed: rule('a whole number >= 1', (value: number) => Number.isInteger(value) && value >= 1),
  clientId: rule(SHORT_TEXT, (value) => value === undefined || isShortText(value)),
  storageFallback: oneOf('none', 'memory'),
  singleSender: oneOf(true, false),
  ackMode: oneOf('auto', 'manual'),
};

const BACKOFF_RULES: Record<string, Rule> = {
  multiplier: rule('>= 1', (value: number) => value >= 1),
  maxInterval: rule('> 0', (value: number) => value > 0),
  jitter: oneOf('none', 'full', 'equal'),
};

/** Applies each rule to its option in `values`: the first invalid one throws. */
function check(rules: Record<string, Rule>, values: object, prefix = ''): void {
  for (const [name, apply] of Object.entries(rules))
    apply(prefix + name, values[name as keyof typeof values]);
}

/** Spreads options over the defaults and throws a TypeError naming the first invalid option. */
export function resolveClientOptions(
  url: string,
  options: ReliableClientOptions = {},
): ResolvedClientOptions {
  if (typeof url !== 'string' || !/^wss?:\/\//i.test(url))
    throw invalidOption('url', 'a ws:// or wss:// URL', url);
  if (/[?&](api[-_]?key|token)=/i.test(url)) {
    throw new TypeError('Pass the API key as the `apiKey` option, not in the URL (URLs end up in logs).');
  }
  checkOptionNames('ReliableClientOptions', options, KNOWN_OPTIONS);
  if (typeof options.backoff === 'object' && options.backoff !== null)
    checkOptionNames('ReliableClientOptions.backoff', options.backoff, KNOWN_BACKOFF);
  const resolved = {
    ...DEFAULT_CLIENT_OPTIONS,
    scheduler: asyncScheduler,
    // An option given as undefined takes its default.
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    url,
    backoff: { ...DEFAULT_BACKOFF_CONFIG, ...options.backoff },
  } as ResolvedClientOptions;
  check(RULES, resolved);
  check(BACKOFF_RULES, resolved.backoff, 'backoff.');
  const { apiKey } = resolved;
  // Its type, not its value: the value may be a secret.
  if (apiKey !== undefined && typeof apiKey !== 'string' && typeof apiKey !== 'function')
    throw invalidOption('apiKey', 'a string or a function returning one', typeof apiKey);
  return resolved;
}
