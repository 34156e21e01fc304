// Runs inside the test page (bundled by spec/browser/helpers/test-page.ts with the
// real dist/index.mjs). Specs drive it through `page.evaluate(() => window.harness...)`.
import type * as Lib from '../../../src/index';
import type { ClientEventType, ReliableClientOptions, ReliableWebSocketClient } from '../../../src/index';

export interface RecordedEvent {
  client: number;
  type: ClientEventType;
  detail: unknown;
  /** `performance.now()` when it was emitted. */
  at: number;
}

export interface PageHarness {
  lib: typeof Lib;
  clients: ReliableWebSocketClient[];
  events: RecordedEvent[];
  /** Settled `DeliveryResult`s (errors flattened), by message id. */
  results: Record<string, { acknowledged: boolean; attempts: number; error?: unknown; response?: unknown }>;
  /** Creates a client recording every event; returns its index. */
  create(url: string, options?: ReliableClientOptions): number;
  /** Sends `payloads` as `type` through client `i`; resolves with the ids once all are accepted. */
  sendAll(i: number, type: string, payloads: unknown[]): Promise<string[]>;
  count(type: ClientEventType, client?: number): number;
}

declare global {
  interface Window {
    harness: PageHarness;
  }
}

const EVENT_TYPES: ClientEventType[] = [
  'open',
  'close',
  'error',
  'reconnecting',
  'stateChange',
  'message',
  'messageQueued',
  'messageAcknowledged',
  'messageFailed',
  'messageExpired',
  'heartbeatTimeout',
];

/** Errors do not survive `page.evaluate`'s serialisation; their name, code and message do. */
function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const { code, reason } = value as Error & { code?: unknown; reason?: unknown };
    return { name: value.name, code, reason, message: value.message };
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(plain);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

export function installHarness(lib: typeof Lib): void {
  const harness: PageHarness = {
    lib,
    clients: [],
    events: [],
    results: {},
    create(url, options = {}) {
      const client = new lib.ReliableWebSocketClient(url, options);
      const index = harness.clients.push(client) - 1;
      for (const type of EVENT_TYPES) {
        client.addEventListener(type, (event) =>
          harness.events.push({ client: index, type, detail: plain(event.detail), at: performance.now() }),
        );
      }
      return index;
    },
    async sendAll(i, type, payloads) {
      const client = harness.clients[i]!;
      const ids: string[] = [];
      for (const payload of payloads) {
        const { messageId, result } = await client.send({ type, payload });
        ids.push(messageId);
        void result.then((r) => (harness.results[messageId] = plain(r) as PageHarness['results'][string]));
      }
      return ids;
    },
    count(type, client) {
      return harness.events.filter((e) => e.type === type && (client === undefined || e.client === client))
        .length;
    },
  };
  window.harness = harness;
}
