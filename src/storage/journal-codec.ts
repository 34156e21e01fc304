import * as zlib from 'node:zlib';

/**
 * The file journal's on-disk format (Node only). A file is the 8-byte
 * {@link JOURNAL_HEADER} followed by records:
 *
 * ```
 * u32le payloadLength | u32le crc32(payload) | payload
 * payload = u8 op (1 set, 2 remove) | u32le keyLength | key (utf8) | value (JSON, utf8; set only)
 * ```
 *
 * A record is valid only whole and with a matching checksum, so a write torn
 * by a crash is detected and cut off on recovery.
 */
export const JOURNAL_HEADER = Buffer.from('RXWSJ001', 'latin1');

export const OP_SET = 1;
export const OP_REMOVE = 2;
export type JournalOp = typeof OP_SET | typeof OP_REMOVE;

const RECORD_OVERHEAD = 8;
/** Larger lengths can only come from garbage: refuse before allocating. */
const MAX_PAYLOAD = 256 * 1024 * 1024;

let table: Int32Array | undefined;

function crc32Js(buf: Uint8Array): number {
  if (table === undefined) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < buf.length; i++) crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

// zlib.crc32 is native from Node 20.15 / 22.2; older 20.x falls back to the table.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (IEEE), as zlib computes it. */
export const crc32: (buf: Uint8Array) => number = nativeCrc32 ? (b) => nativeCrc32(b) : crc32Js;

/** Bytes a record for `key` (and `json`, for a set) takes on disk. */
export function recordLength(key: string, json?: string): number {
  return RECORD_OVERHEAD + 5 + Buffer.byteLength(key) + (json === undefined ? 0 : Buffer.byteLength(json));
}

/**
 * Writes one whole record at `offset` of `buf` (which must have
 * `recordLength(key, json)` bytes free there) and returns the offset after it.
 * Batches are encoded straight into one buffer: no buffer per record.
 */
export function writeRecord(buf: Buffer, offset: number, op: JournalOp, key: string, json?: string): number {
  const payload = offset + RECORD_OVERHEAD;
  buf[payload] = op;
  const keyLength = buf.write(key, payload + 5, 'utf8');
  buf.writeUInt32LE(keyLength, payload + 1);
  const valueLength = json === undefined ? 0 : buf.write(json, payload + 5 + keyLength, 'utf8');
  const end = payload + 5 + keyLength + valueLength;
  buf.writeUInt32LE(end - payload, offset);
  buf.writeUInt32LE(crc32(buf.subarray(payload, end)), offset + 4);
  return end;
}

/** One whole record in its own buffer. */
export function encodeRecord(op: JournalOp, key: string, json?: string): Buffer {
  const buf = Buffer.allocUnsafe(recordLength(key, json));
  writeRecord(buf, 0, op, key, json);
  return buf;
}

/** A record read back: `json` is undefined for a removal. `size` is its length on disk. */
export interface JournalRecord {
  op: JournalOp;
  key: string;
  json: string | undefined;
  size: number;
}

/**
 * Reads records from `buf` starting at `offset` (just past the header) and
 * hands each to `apply`. Stops at the first torn or corrupt record and
 * returns the length of the valid prefix: the caller truncates the rest.
 */
export function replayJournal(buf: Buffer, offset: number, apply: (record: JournalRecord) => void): number {
  let pos = offset;
  while (pos + RECORD_OVERHEAD <= buf.length) {
    const payloadLength = buf.readUInt32LE(pos);
    if (payloadLength < 5 || payloadLength > MAX_PAYLOAD) break;
    const end = pos + RECORD_OVERHEAD + payloadLength;
    if (end > buf.length) break; // torn: the crash came mid-write
    const payload = buf.subarray(pos + RECORD_OVERHEAD, end);
    if (crc32(payload) !== buf.readUInt32LE(pos + 4)) break;
    const op = payload[0];
    const keyLength = payload.readUInt32LE(1);
    if ((op !== OP_SET && op !== OP_REMOVE) || 5 + keyLength > payloadLength) break;
    const key = payload.toString('utf8', 5, 5 + keyLength);
    let json: string | undefined;
    if (op === OP_SET) {
      json = payload.toString('utf8', 5 + keyLength);
      try {
        JSON.parse(json);
      } catch {
        break;
      }
    } else if (5 + keyLength !== payloadLength) {
      break;
    }
    apply({ op, key, json, size: end - pos });
    pos = end;
  }
  return pos;
}
