import { StreamReader } from '@peerwire/wire';
import { BobError } from './errors.js';
import { noblePrimitives } from './noble-primitives.js';
import type { Aead, AeadFactory } from './primitives.js';
import {
  CLOSE_RECORD,
  type DirectionKey,
  MAX_RECORD_PAYLOAD,
  recordAad,
  recordNonce,
  TAG_LENGTH,
} from './record-format.js';

export {
  CLOSE_RECORD,
  type DirectionKey,
  MAX_RECORD_PAYLOAD,
  type Role,
  recordAad,
  recordKeys,
  recordNonce,
  TAG_LENGTH,
} from './record-format.js';

/**
 * Seals a byte stream into records. `write` buffers and emits full 0x7fff-byte records;
 * `endRecord` (or `flush`) seals what is buffered as a short record; `close` flushes and appends
 * the close marker. bob itself seals one record per piece of its PACK writer, at most 0x7fff.
 */
export class RecordSealer {
  readonly #key: DirectionKey;
  readonly #aeadFactory: AeadFactory;
  #aead: Aead | undefined;
  #seq = 0;
  readonly #buffer = new Uint8Array(MAX_RECORD_PAYLOAD);
  #filled = 0;
  #closed = false;

  constructor(key: DirectionKey, aead: AeadFactory = noblePrimitives.aead) {
    this.#key = key;
    this.#aeadFactory = aead;
  }

  /** Records sealed so far (the next sequence number). */
  get sequence(): number {
    return this.#seq;
  }

  /** Seals exactly one record around `plaintext` (at most 0x7fff bytes). */
  seal(plaintext: Uint8Array): Uint8Array {
    if (this.#closed) throw new BobError('PROTOCOL', 'the record stream is closed');
    if (plaintext.length > MAX_RECORD_PAYLOAD) {
      throw new BobError(
        'RECORD_TOO_LARGE',
        `a record carries at most ${MAX_RECORD_PAYLOAD} bytes, got ${plaintext.length}`,
      );
    }
    this.#aead ??= this.#aeadFactory(this.#key.cipher, this.#key.key);
    const out = this.#aead.seal(
      recordNonce(this.#key.nonceBase, this.#seq),
      recordAad(plaintext.length),
      plaintext,
      2,
    );
    this.#seq++;
    out[0] = plaintext.length >>> 8;
    out[1] = plaintext.length & 0xff;
    return out;
  }

  /** Buffers `data`; returns the full records it completes. */
  write(data: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < data.length) {
      if (this.#filled === 0 && data.length - offset >= MAX_RECORD_PAYLOAD) {
        out.push(this.seal(data.subarray(offset, offset + MAX_RECORD_PAYLOAD)));
        offset += MAX_RECORD_PAYLOAD;
        continue;
      }
      const n = Math.min(MAX_RECORD_PAYLOAD - this.#filled, data.length - offset);
      this.#buffer.set(data.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === MAX_RECORD_PAYLOAD) {
        out.push(this.seal(this.#buffer));
        this.#filled = 0;
      }
    }
    return out;
  }

  /**
   * Ends the record under way here, so that the next `write` starts a new one. bob's sender
   * seals one record per PACK piece, and bob's receiver relies on it (its single-file reader
   * expects the name entry to end on a record boundary): senders call this after each piece.
   */
  endRecord(): Uint8Array[] {
    return this.flush();
  }

  /** Seals the buffered bytes, if any, as one short record. */
  flush(): Uint8Array[] {
    if (this.#filled === 0) return [];
    const record = this.seal(this.#buffer.subarray(0, this.#filled));
    this.#filled = 0;
    return [record];
  }

  /** Flushes, then ends the stream with `ff ff ff ff`. */
  close(): Uint8Array[] {
    const out = this.flush();
    this.#closed = true;
    out.push(CLOSE_RECORD);
    return out;
  }
}

/** What `RecordOpener.push` yields. */
export type RecordEvent =
  | { readonly type: 'data'; readonly bytes: Uint8Array }
  /** The peer's close marker; nothing after it is read. */
  | { readonly type: 'close' };

export interface OpenerOptions {
  /**
   * Whether data records are allowed in this direction (default true). The sender sets false:
   * the receiver may only send the close marker (bob's sender calls anything else corrupted).
   */
  readonly allowData?: boolean;
}

/**
 * Opens a record stream received in chunks of any size. Holds at most one incomplete record
 * (0x7fff + 18 bytes). A record that fails authentication throws `TAMPERED`; a length above
 * 0x7fff (other than the close marker) throws `RECORD_TOO_LARGE`; after an error every call
 * throws it again.
 */
export class RecordOpener {
  readonly #key: DirectionKey;
  readonly #aeadFactory: AeadFactory;
  readonly #allowData: boolean;
  #aead: Aead | undefined;
  #seq = 0;
  readonly #reader = new StreamReader(Number.POSITIVE_INFINITY);
  #closed = false;
  #failed: BobError | undefined;

  constructor(
    key: DirectionKey,
    aead: AeadFactory = noblePrimitives.aead,
    options: OpenerOptions = {},
  ) {
    this.#key = key;
    this.#aeadFactory = aead;
    this.#allowData = options.allowData ?? true;
  }

  /** Records opened so far. */
  get sequence(): number {
    return this.#seq;
  }

  /** Whether the close marker arrived. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes held for an incomplete record. */
  get buffered(): number {
    return this.#reader.buffered;
  }

  push(chunk: Uint8Array): RecordEvent[] {
    if (this.#failed) throw this.#failed;
    if (this.#closed) return [];
    this.#reader.push(chunk);
    const events: RecordEvent[] = [];
    try {
      for (;;) {
        const hi = this.#reader.peekByte(0);
        const lo = this.#reader.peekByte(1);
        if (hi === undefined || lo === undefined) break;
        const length = (hi << 8) | lo;
        if (length === 0xffff) {
          this.#closed = true;
          this.#reader.takeAll();
          events.push({ type: 'close' });
          break;
        }
        if (length > MAX_RECORD_PAYLOAD) {
          throw new BobError(
            'RECORD_TOO_LARGE',
            `record header announces ${length} bytes, the maximum is ${MAX_RECORD_PAYLOAD}: the stream is corrupted`,
          );
        }
        if (!this.#allowData) {
          throw new BobError(
            'UNEXPECTED_DATA',
            'the receiver sent data records; only the close marker is allowed in that direction',
          );
        }
        if (this.#reader.buffered < 2 + length + TAG_LENGTH) break;
        this.#reader.take(2);
        const sealed = this.#reader.take(length + TAG_LENGTH)!;
        this.#aead ??= this.#aeadFactory(this.#key.cipher, this.#key.key);
        const plain = this.#aead.open(
          recordNonce(this.#key.nonceBase, this.#seq),
          recordAad(length),
          sealed,
        );
        if (plain === undefined) {
          throw new BobError(
            'TAMPERED',
            `record ${this.#seq} failed authentication: the data was modified on the way (or the keys differ)`,
          );
        }
        this.#seq++;
        events.push({ type: 'data', bytes: plain });
      }
    } catch (error) {
      this.#failed =
        error instanceof BobError
          ? error
          : new BobError('TAMPERED', String(error), { cause: error });
      throw this.#failed;
    }
    return events;
  }

  /**
   * Call at end of input. EOF on a record boundary is a clean end (spec §7.3); inside a record
   * it throws `TRUNCATED`.
   */
  end(): void {
    if (this.#failed) throw this.#failed;
    if (!this.#closed && this.#reader.buffered > 0) {
      this.#failed = new BobError(
        'TRUNCATED',
        `the connection ended inside a record (${this.#reader.buffered} bytes of it arrived)`,
      );
      throw this.#failed;
    }
  }
}
