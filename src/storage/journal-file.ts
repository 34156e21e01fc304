import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { JOURNAL_HEADER } from './journal-codec';
import { RecordBuffer } from './record-buffer';

/** File I/O of the journal (Node only): writes, whole-file replacement, directory fsync. */

export const JOURNAL_FILE = 'journal.log';
export const TEMP_FILE = 'journal.tmp';

/** Live records by key, as the adapter holds them: what a replaced journal is written from. */
export type LiveRecords = ReadonlyMap<string, { readonly json: string }>;

/** A replaced journal is written in chunks of about this size. */
const CHUNK_BYTES = 1 << 20;

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
  live: LiveRecords,
  fsync: boolean,
): Promise<{ fh: FileHandle; size: number }> {
  const temp = path.join(dir, TEMP_FILE);
  let fh: FileHandle | undefined;
  try {
    fh = await open(temp, 'w');
    let size = await writeAll(fh, JOURNAL_HEADER, 0);
    const chunk = new RecordBuffer();
    for (const [key, { json }] of live) {
      chunk.add(key, json);
      if (chunk.length >= CHUNK_BYTES) {
        size += await writeAll(fh, chunk.bytes(), size);
        chunk.reset();
      }
    }
    if (chunk.length > 0) size += await writeAll(fh, chunk.bytes(), size);
    if (fsync) await fh.sync();
    await rename(temp, path.join(dir, JOURNAL_FILE));
    return { fh, size };
  } catch (error) {
    await fh?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
