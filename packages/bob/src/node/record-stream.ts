import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import { BobError } from '../errors.js';
import type { RecordEvent } from '../record.js';
import { type DirectionKey, MAX_RECORD_PAYLOAD, TAG_LENGTH } from '../record-format.js';
import { SpokeCipher } from '../spoke-public.js';

/**
 * The receiver's record layer for Node: the same checks and events as `RecordOpener`, built for
 * throughput. Each record is decrypted with a streaming `node:crypto` AES-GCM decipher as its
 * bytes arrive, so a record split across socket reads is never joined into a copy, and the
 * nonce and AAD buffers are reused. A record's plaintext is handed out only once its tag has
 * been verified.
 */
export class StreamingRecordOpener {
  readonly #key: Buffer;
  readonly #nonce = Buffer.alloc(20);
  readonly #aad = Buffer.from([0, 1, 0, 0]);
  readonly #header = Buffer.alloc(2);
  readonly #tag = Buffer.alloc(TAG_LENGTH);
  #seq = 0;
  #state: 'header' | 'body' | 'tag' = 'header';
  #fill = 0;
  #left = 0;
  #decipher: DecipherGCM | undefined;
  #parts: Uint8Array[] = [];
  #closed = false;
  #failed: BobError | undefined;

  constructor(key: DirectionKey) {
    if (key.cipher !== SpokeCipher.AesGcm) {
      throw new BobError('UNSUPPORTED_CIPHER', 'only AES-GCM can carry bob records (spec §7.2)');
    }
    this.#key = Buffer.from(key.key);
    Buffer.from(key.nonceBase.buffer, key.nonceBase.byteOffset, 12).copy(this.#nonce, 0);
  }

  /** Records opened so far. */
  get sequence(): number {
    return this.#seq;
  }

  /** Whether the close marker arrived. */
  get closed(): boolean {
    return this.#closed;
  }

  push(chunk: Uint8Array): RecordEvent[] {
    if (this.#failed) throw this.#failed;
    if (this.#closed) return [];
    const events: RecordEvent[] = [];
    try {
      let pos = 0;
      while (pos < chunk.length && !this.#closed) {
        if (this.#state === 'header') {
          this.#header[this.#fill++] = chunk[pos++]!;
          if (this.#fill === 2) this.#startRecord(events);
        } else if (this.#state === 'body') {
          const n = Math.min(this.#left, chunk.length - pos);
          this.#parts.push(this.#decipher!.update(chunk.subarray(pos, pos + n)));
          pos += n;
          this.#left -= n;
          if (this.#left === 0) this.#state = 'tag';
        } else {
          const n = Math.min(TAG_LENGTH - this.#fill, chunk.length - pos);
          this.#tag.set(chunk.subarray(pos, pos + n), this.#fill);
          this.#fill += n;
          pos += n;
          if (this.#fill === TAG_LENGTH) this.#finishRecord(events);
        }
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

  #startRecord(events: RecordEvent[]): void {
    const length = (this.#header[0]! << 8) | this.#header[1]!;
    this.#fill = 0;
    if (length === 0xffff) {
      this.#closed = true;
      events.push({ type: 'close' });
      return;
    }
    if (length > MAX_RECORD_PAYLOAD) {
      throw new BobError(
        'RECORD_TOO_LARGE',
        `record header announces ${length} bytes, the maximum is ${MAX_RECORD_PAYLOAD}: the stream is corrupted`,
      );
    }
    const seq = this.#seq;
    this.#nonce.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 12);
    this.#nonce.writeUInt32BE(seq >>> 0, 16);
    this.#aad[2] = length >>> 8;
    this.#aad[3] = length & 0xff;
    this.#decipher = createDecipheriv('aes-256-gcm', this.#key, this.#nonce);
    this.#decipher.setAAD(this.#aad);
    this.#left = length;
    this.#state = length === 0 ? 'tag' : 'body';
  }

  #finishRecord(events: RecordEvent[]): void {
    const decipher = this.#decipher!;
    decipher.setAuthTag(this.#tag);
    try {
      const tail = decipher.final();
      if (tail.length > 0) this.#parts.push(tail);
    } catch {
      throw new BobError(
        'TAMPERED',
        `record ${this.#seq} failed authentication: the data was modified on the way (or the keys differ)`,
      );
    }
    this.#seq++;
    for (const bytes of this.#parts) if (bytes.length > 0) events.push({ type: 'data', bytes });
    this.#parts = [];
    this.#decipher = undefined;
    this.#state = 'header';
    this.#fill = 0;
  }

  /**
   * Call at end of input. EOF on a record boundary is a clean end (spec §7.3); inside a record
   * it throws `TRUNCATED`.
   */
  end(): void {
    if (this.#failed) throw this.#failed;
    const inside = this.#state !== 'header' || this.#fill > 0;
    if (!this.#closed && inside) {
      this.#failed = new BobError('TRUNCATED', 'the connection ended inside a record');
      throw this.#failed;
    }
  }
}
