import { createHash } from 'node:crypto';

/** Hash tags by session part, so repeated sessions cost a Map lookup; cleared when it grows past this. */
const TAG_CACHE_MAX = 50_000;
const tagCache = new Map<string, string>();

/**
 * Splits a server dedupe key (`sessionKey(principal, clientId) + messageId`,
 * length-prefixed) into its session part and the message id. A key of
 * another shape is all session part.
 */
export function splitDedupeKey(key: string): { session: string; id: string } {
  let at = 0;
  for (let field = 0; field < 2; field++) {
    const colon = key.indexOf(':', at);
    const length = colon > at ? Number(key.slice(at, colon)) : NaN;
    if (!Number.isInteger(length) || length < 0) return { session: key, id: '' };
    at = colon + 1 + length;
  }
  if (key[at] !== ':') return { session: key, id: '' };
  return { session: key.slice(0, at + 1), id: key.slice(at + 1) };
}

/** A string Redis stores byte for byte: UTF-8 would merge lone surrogates into U+FFFD. */
export function exact(text: string): string {
  return LONE_SURROGATE.test(text) ? 'j' + JSON.stringify(text) : 'w' + text;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The Cluster hash tag of a session: 16 base64url chars of its SHA-256, so
 * every key of one session lands on one slot whatever characters its
 * principal and clientId hold (a `{` in a clientId cannot move the tag).
 */
export function sessionTag(session: string): string {
  let tag = tagCache.get(session);
  if (tag !== undefined) return tag;
  tag = createHash('sha256').update(exact(session)).digest('base64url').slice(0, 16);
  if (tagCache.size >= TAG_CACHE_MAX) tagCache.clear();
  tagCache.set(session, tag);
  return tag;
}

/** `<prefix>{<tag>}d:<id>`: one dedupe entry, and its tag (the batch it joins). */
export function dedupeRedisKey(prefix: string, key: string): { tag: string; redisKey: string } {
  const { session, id } = splitDedupeKey(key);
  const tag = sessionTag(session);
  return { tag, redisKey: `${prefix}{${tag}}d:${exact(id)}` };
}

/** The hash tag inside a key built by this module. */
export function tagOf(redisKey: string): string {
  const open = redisKey.indexOf('{');
  return redisKey.slice(open + 1, redisKey.indexOf('}', open));
}

/** A stream's keys share the tag of the stream name. */
export function streamTag(stream: string): string {
  return sessionTag('stream:' + stream);
}
