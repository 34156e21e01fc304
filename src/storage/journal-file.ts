import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { JOURNAL_HEADER, OP_REMOVE, OP_SET, writeRecord } from './journal-codec';

/** File I/O of the journal (Node only): batches, whole-file replacement, directory fsync. */

export const JOURNAL_FILE = 'journal.log';
export const TEMP_FILE = 'journal.tmp';

/** One record to write: `json` undefined is a removal; `size` is `recordLength(key, json)`. */
export interface JournalEntry {
  key: string;
  json: string | undefined;
  size: number;
}

/** Encodes a batch into one buffer: one allocation, no per-record buffers to concatenate. */
export function encodeBatch(entries: readonly JournalEntry[]): Buffer {
  let total = 0;
  for (const e of entries) total += e.size;
  const buf = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const e of entries)
    offset = writeRecord(buf, offset, e.json === undefined ? OP_REMOVE : OP_SET, e.key, e.json);
  return buf;
}

/** Writes all of `buf` at `position` (a single write may be short). Returns the bytes written. */
export async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
  let written = 0;
  while (written < buf.length) {
    const { bytesWritten } = await fh.write(buf, written, buf.length - written, position + written);
    written += bytesWritten;
  }
  return written;
}

/** Makes a rename durable. Some platforms cannot open a directory: best effort there. */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES') throw error;
  } finally {
    await fh?.close();
  }
}

/**
 * Writes a complete journal (header, then one record per entry) to a temp
 * file, fsyncs it, and renames it over the journal. A crash at any step leaves
 * the old journal or the new one, each whole. On failure the temp file is
 * removed and the old journal is untouched. The caller fsyncs the directory
 * once it has switched to the returned handle.
 */
export async function replaceJournal(
  dir: string,
  entries: Iterable<JournalEntry>,
  fsync: boolean,
): Promise<{ fh: FileHandle; size: number }> {
  const temp = path.join(dir, TEMP_FILE);
  let fh: FileHandle | undefined;
  try {
    fh = await open(temp, 'w');
    let size = await writeAll(fh, JOURNAL_HEADER, 0);
    let chunk: JournalEntry[] = [];
    let chunkBytes = 0;
    for (const entry of entries) {
      chunk.push(entry);
      chunkBytes += entry.size;
      if (chunkBytes >= 1 << 20) {
        size += await writeAll(fh, encodeBatch(chunk), size);
        chunk = [];
        chunkBytes = 0;
      }
    }
    if (chunk.length > 0) size += await writeAll(fh, encodeBatch(chunk), size);
    if (fsync) await fh.sync();
    await rename(temp, path.join(dir, JOURNAL_FILE));
    return { fh, size };
  } catch (error) {
    await fh?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
