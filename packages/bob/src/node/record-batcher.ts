import { type CipherGCM, createCipheriv } from 'node:crypto';
import { BobError } from '../errors.js';
import {
  CLOSE_RECORD,
  type DirectionKey,
  MAX_RECORD_PAYLOAD,
  TAG_LENGTH,
} from '../record-format.js';
import { SpokeCipher } from '../spoke-public.js';

/** One full record on the wire: length, ciphertext, tag. */
const FULL_RECORD = 2 + MAX_RECORD_PAYLOAD + TAG_LENGTH;
/** Default size of one batch of records handed to the socket (32 full records, ~1 MiB). */
export const DEFAULT_RECORD_BATCH_BYTES = 32 * FULL_RECORD;
/** Written batches kept for reuse (see `recycle`); more are left to the garbage collector. */
export const DEFAULT_SPARE_BATCHES = 4;

/**
 * The sender's record layer for Node, byte-for-byte the same stream as `RecordSealer` (full
 * 0x7fff-byte records, a short one wherever `endRecord` is called, the close marker) but built
 * for throughput:
 * records are sealed with `node:crypto` straight into ~1 MiB batches (one socket write each),
 * a record spanning two input chunks is encrypted from both without joining them, and the
 * nonce and AAD buffers are reused.
 *
 * `write` keeps references to the tail of `data` until the record it starts is complete: the
 * caller must not modify a buffer after passing it in.
 */
export class RecordBatcher {
  readonly #key: Buffer;
  readonly #nonce = Buffer.alloc(20);
  readonly #aad = Buffer.from([0, 1, 0, 0]);
  readonly #batchBytes: number;
  #seq = 0;
  #batch: Buffer;
  #pos = 0;
  /** Plaintext of the record under way, not sealed yet (its length decides its AAD). */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #closed = false;
  /** Batches the socket is done with, reused instead of allocating (bounded). */
  readonly #spare: Buffer[] = [];
  readonly #maxSpare: number;

  constructor(
    key: DirectionKey,
    batchBytes = DEFAULT_RECORD_BATCH_BYTES,
    maxSpare = DEFAULT_SPARE_BATCHES,
  ) {
    this.#maxSpare = maxSpare;
    if (key.cipher !== SpokeCipher.AesGcm) {
      throw new BobError('UNSUPPORTED_CIPHER', 'only AES-GCM can carry bob records (spec §7.2)');
    }
    this.#key = Buffer.from(key.key);
    Buffer.from(key.nonceBase.buffer, key.nonceBase.byteOffset, 12).copy(this.#nonce, 0);
    this.#batchBytes = Math.max(batchBytes, FULL_RECORD);
    this.#batch = Buffer.allocUnsafe(this.#batchBytes);
  }

  /** Records sealed so far. */
  get sequence(): number {
    return this.#seq;
  }

  /** Seals every record `data` completes; returns the batches that filled up. */
  write(data: Uint8Array): Uint8Array[] {
    if (this.#closed) throw new BobError('PROTOCOL', 'the record stream is closed');
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < data.length) {
      const n = Math.min(MAX_RECORD_PAYLOAD - this.#pendingBytes, data.length - offset);
      this.#pending.push(data.subarray(offset, offset + n));
      this.#pendingBytes += n;
      offset += n;
      if (this.#pendingBytes === MAX_RECORD_PAYLOAD) this.#seal(out);
    }
    return out;
  }

  /** Ends the record under way (see `RecordSealer.endRecord`); returns batches that filled up. */
  endRecord(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.#pendingBytes > 0) this.#seal(out);
    return out;
  }

  /** Seals what is pending as a short record and returns everything not handed out yet. */
  flush(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.#pendingBytes > 0) this.#seal(out);
    if (this.#pos > 0) out.push(this.#take());
    return out;
  }

  /** Flushes, then ends the stream with `ff ff ff ff`. */
  close(): Uint8Array[] {
    const out = this.flush();
    this.#closed = true;
    out.push(CLOSE_RECORD);
    return out;
  }

  /**
   * Hands back a batch this batcher returned, once nothing reads it any more (the socket wrote
   * it): its memory is reused for a later batch. Anything else is ignored.
   */
  recycle(batch: Uint8Array): void {
    if (batch.byteOffset !== 0 || batch.buffer.byteLength !== this.#batchBytes) return;
    if (this.#spare.length >= this.#maxSpare) return;
    this.#spare.push(Buffer.from(batch.buffer, 0, this.#batchBytes));
  }

  #take(): Uint8Array {
    const batch = this.#batch.subarray(0, this.#pos);
    this.#batch = this.#spare.pop() ?? Buffer.allocUnsafe(this.#batchBytes);
    this.#pos = 0;
    return batch;
  }

  #seal(out: Uint8Array[]): void {
    const length = this.#pendingBytes;
    if (this.#pos + 2 + length + TAG_LENGTH > this.#batch.length) out.push(this.#take());
    const seq = this.#seq++;
    this.#nonce.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 12);
    this.#nonce.writeUInt32BE(seq >>> 0, 16);
    this.#aad[2] = length >>> 8;
    this.#aad[3] = length & 0xff;
    const cipher: CipherGCM = createCipheriv('aes-256-gcm', this.#key, this.#nonce);
    cipher.setAAD(this.#aad);
    const batch = this.#batch;
    batch[this.#pos] = length >>> 8;
    batch[this.#pos + 1] = length & 0xff;
    let at = this.#pos + 2;
    for (const part of this.#pending) {
      const sealed = cipher.update(part);
      sealed.copy(batch, at);
      at += sealed.length;
    }
    at += cipher.final().copy(batch, at);
    at += cipher.getAuthTag().copy(batch, at);
    this.#pos = at;
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}
