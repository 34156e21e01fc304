import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Authenticate } from './server-options';

/** The principal of every client when the server has no authentication configured. */
export const ANONYMOUS_PRINCIPAL = 'anonymous';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Checks an API key against a fixed list in constant time: both sides are
 * hashed to 32 bytes (so lengths never differ and `timingSafeEqual` applies)
 * and every key is compared, match or not, so the timing says nothing about
 * which key or how much of it matched. The principal is derived from the
 * key's hash, so it is stable across restarts and never reveals the key.
 */
export class ApiKeyAuthenticator {
  private readonly entries: ReadonlyArray<{ hash: Buffer; principal: string }>;

  constructor(apiKeys: readonly string[]) {
    if (apiKeys.length === 0) throw new TypeError('`apiKeys` must hold at least one key.');
    this.entries = apiKeys.map((key) => {
      const hash = sha256(key);
      return { hash, principal: `key:${hash.toString('hex').slice(0, 16)}` };
    });
  }

  /** The key's principal, or `null` if it is not one of the keys. */
  verify(apiKey: string | undefined): string | null {
    const candidate = sha256(typeof apiKey === 'string' ? apiKey : '');
    let principal: string | null = null;
    for (const entry of this.entries) {
      // No early exit: the loop costs the same whichever key matches.
      if (timingSafeEqual(candidate, entry.hash) && typeof apiKey === 'string') principal = entry.principal;
    }
    return principal;
  }
}

/** Builds the server's single authentication function from its options. */
export function createAuthenticator(options: {
  apiKeys: readonly string[] | undefined;
  authenticate: Authenticate | undefined;
}): Authenticate {
  if (options.authenticate !== undefined) return options.authenticate;
  if (options.apiKeys !== undefined) {
    const keys = new ApiKeyAuthenticator(options.apiKeys);
    return (apiKey: string | undefined, _request: IncomingMessage) => keys.verify(apiKey);
  }
  return () => ANONYMOUS_PRINCIPAL;
}
