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
 * by a crash is detected and cut off on recovery, and damage in the middle
 * costs only the damaged records (recovery resynchronises on the next valid one).
 */
export const JOURNAL_HEADER = Buffer.from('RXWSJ001', 'latin1');

export const OP_SET = 1;
export const OP_REMOVE = 2;
export type JournalOp = typeof OP_SET | typeof OP_REMOVE;

const RECORD_OVERHEAD = 8;
/** Larger lengths can only come from garbage: refuse before allocating. */
const MAX_PAYLOAD = 256 * 1024 * 1024;

let table: Int32Array | undefined;

/** CRC-32 of `buf[start..end)` by table: no view to allocate, which for short records beats the native call. */
function crc32Table(buf: Uint8Array, start: number, end: number): number {
  if (table === undefined) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = -1;
  for (let i = start; i < end; i++) crc = table[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

const crc32Js = (buf: Uint8Array): number => crc32Table(buf, 0, buf.length);

// zlib.crc32 is native from Node 20.15 / 22.2; older 20.x falls back to the table.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (IEEE), as zlib computes it. */
export const crc32: (buf: Uint8Array) => number = nativeCrc32 ? (b) => nativeCrc32(b) : crc32Js;

/** Up to this many bytes the table loop is cheaper than a view plus the native call (removals, small values). */
const TABLE_CRC_MAX_BYTES = 128;

/** CRC-32 of `buf[start..end)`. */
function crc32Range(buf: Buffer, start: number, end: number): number {
  return end - start <= TABLE_CRC_MAX_BYTES ? crc32Table(buf, start, end) : crc32(buf.subarray(start, end));
}

/** Bytes a record for `key` (and `json`, for a set) takes on disk. */
export function recordLength(key: string, json?: string): number {
  return RECORD_OVERHEAD + 5 + Buffer.byteLength(key) + (json === undefined ? 0 : Buffer.byteLength(json));
}

/**
 * At least {@link recordLength}, without scanning the strings: a UTF-16 code
 * unit never takes more than 3 bytes of UTF-8.
 */
export function maxRecordLength(key: string, json?: string): number {
  return RECORD_OVERHEAD + 5 + 3 * (key.length + (json === undefined ? 0 : json.length));
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
  buf.writeUInt32LE(crc32Range(buf, payload, end), offset + 4);
  return end;
}

/** Bytes of the (well-formed) record at `offset` of `buf`, read from its header. */
export function recordSize(buf: Buffer, offset: number): number {
  return RECORD_OVERHEAD + buf.readUInt32LE(offset);
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
 * returns the length of the valid prefix. (Recovery uses {@link recoverJournal},
 * which also reads what comes after a damaged record.)
 */
export function replayJournal(buf: Buffer, offset: number, apply: (record: JournalRecord) => void): number {
  let pos = offset;
  for (let record = readRecord(buf, pos); record !== undefined; record = readRecord(buf, pos)) {
    apply(record);
    pos += record.size;
  }
  return pos;
}

/** What {@link recoverJournal} found. */
export interface JournalRecovery {
  /** End of the last valid record: the file is cut here if only a torn tail follows. */
  validEnd: number;
  /** Damaged stretches between valid records (each at least one lost record). */
  damagedRecords: number;
  /** Bytes in those stretches. */
  damagedBytes: number;
  /** Bytes after the last valid record: a write torn by a crash, or damage at the very end. */
  tailBytes: number;
  /** Whether that tail looks like a torn write (a partial record, or zeros) rather than damage. */
  tailIsTorn: boolean;
}

/**
 * Like {@link replayJournal}, but past a damaged record it searches forward
 * for the next valid one (length, op, key and checksum all agreeing) and goes
 * on from there, so one flipped byte costs one record, not the rest of the
 * file. A record is only accepted whole with a matching CRC-32, so resyncing
 * cannot invent data.
 */
export function recoverJournal(
  buf: Buffer,
  offset: number,
  apply: (record: JournalRecord) => void,
): JournalRecovery {
  const result: JournalRecovery = {
    validEnd: offset,
    damagedRecords: 0,
    damagedBytes: 0,
    tailBytes: 0,
    tailIsTorn: true,
  };
  let pos = offset;
  while (pos < buf.length) {
    const record = readRecord(buf, pos);
    if (record !== undefined) {
      apply(record);
      pos += record.size;
      result.validEnd = pos;
      continue;
    }
    let next = pos + 1;
    while (next + RECORD_OVERHEAD <= buf.length && readRecord(buf, next) === undefined) next++;
    if (next + RECORD_OVERHEAD > buf.length) {
      result.tailBytes = buf.length - pos;
      result.tailIsTorn = looksTorn(buf, pos);
      return result;
    }
    result.damagedRecords++;
    result.damagedBytes += next - pos;
    pos = next;
  }
  return result;
}

/** A crash mid-write leaves a record cut short (its length runs past the end) or zeros, never a whole bad record. */
function looksTorn(buf: Buffer, pos: number): boolean {
  if (buf.length - pos < RECORD_OVERHEAD) return true;
  const payloadLength = buf.readUInt32LE(pos);
  if (pos + RECORD_OVERHEAD + payloadLength > buf.length) return true;
  for (let i = pos; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** The valid record at `pos`, or `undefined` (torn, corrupt, or not a record boundary). */
function readRecord(buf: Buffer, pos: number): JournalRecord | undefined {
  if (pos + RECORD_OVERHEAD > buf.length) return undefined;
  const payloadLength = buf.readUInt32LE(pos);
  if (payloadLength < 5 || payloadLength > MAX_PAYLOAD) return undefined;
  const end = pos + RECORD_OVERHEAD + payloadLength;
  if (end > buf.length) return undefined; // torn: the crash came mid-write
  const op = buf[pos + RECORD_OVERHEAD];
  const keyLength = buf.readUInt32LE(pos + RECORD_OVERHEAD + 1);
  if ((op !== OP_SET && op !== OP_REMOVE) || 5 + keyLength > payloadLength) return undefined;
  if (op === OP_REMOVE && 5 + keyLength !== payloadLength) return undefined;
  const payload = buf.subarray(pos + RECORD_OVERHEAD, end);
  if (crc32(payload) !== buf.readUInt32LE(pos + 4)) return undefined;
  const key = payload.toString('utf8', 5, 5 + keyLength);
  let json: string | undefined;
  if (op === OP_SET) {
    json = payload.toString('utf8', 5 + keyLength);
    try {
      JSON.parse(json);
    } catch {
      return undefined;
    }
  }
  return { op: op as JournalOp, key, json, size: end - pos };
}
