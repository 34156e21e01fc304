import { maxRecordLength, OP_REMOVE, OP_SET, writeRecord } from './journal-codec';

const INITIAL_BYTES = 64 * 1024;
/** A buffer grown past this by one large batch is let go afterwards rather than kept for the next. */
const RETAINED_BYTES = 1024 * 1024;

/**
 * Where the file journal encodes a batch of records (Node only): one buffer,
 * reused from batch to batch and grown when a batch needs more, so a batch
 * costs no allocation and no per-record buffer or size scan.
 */
export class RecordBuffer {
  #buf = Buffer.allocUnsafe(INITIAL_BYTES);
  #length = 0;

  /** Bytes encoded since the last {@link reset}. */
  get length(): number {
    return this.#length;
  }

  /** Appends a set (`json` given) or removal record for `key`. */
  add(key: string, json: string | undefined): void {
    const needed = this.#length + maxRecordLength(key, json);
    if (needed > this.#buf.length) this.#grow(needed);
    this.#length = writeRecord(this.#buf, this.#length, json === undefined ? OP_REMOVE : OP_SET, key, json);
  }

  /** The records encoded since the last reset: a view, valid until the next `add` or `reset`. */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#length);
  }

  reset(): void {
    this.#length = 0;
    if (this.#buf.length > RETAINED_BYTES) this.#buf = Buffer.allocUnsafe(INITIAL_BYTES);
  }

  #grow(needed: number): void {
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#buf.length * 2));
    this.#buf.copy(grown, 0, 0, this.#length);
    this.#buf = grown;
  }
}
