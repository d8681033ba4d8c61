import { bytesEqual, toHex } from '@peerwire/wire';
import { BobError } from './errors.js';
import { type BaseType, ObjectType, objectHeader } from './git-object.js';
import { PACK_HEADER_LENGTH, PACK_SIGNATURE, PACK_TRAILER_LENGTH } from './pack-writer.js';
import { type HashFactory, type IncrementalHash, nobleSha1 } from './primitives.js';
import { ZlibInflater } from './zlib.js';

/** Default cap on the object count a PACK header may announce. */
export const DEFAULT_MAX_OBJECTS = 1_000_000;
/** Default cap on one object's size (1 TiB). */
export const DEFAULT_MAX_OBJECT_SIZE = 2 ** 40;
/** Default cap on one delta's instruction data (held in memory to be applied). */
export const DEFAULT_MAX_DELTA_SIZE = 64 * 1024 * 1024;

export interface PackReaderLimits {
  /** Most objects a PACK may announce (default {@link DEFAULT_MAX_OBJECTS}). */
  readonly maxObjects?: number;
  /** Largest object, in inflated bytes (default {@link DEFAULT_MAX_OBJECT_SIZE}). */
  readonly maxObjectSize?: number;
  /** Largest OFS_DELTA instruction stream (default {@link DEFAULT_MAX_DELTA_SIZE}). */
  readonly maxDeltaSize?: number;
}

export interface PackReaderOptions {
  readonly sha1?: HashFactory;
  /**
   * Compute git ids of base objects: `true`, `false`, or `'folder'` (the default: only when the
   * first object is not a tag, i.e. for folder payloads, where ids matter).
   */
  readonly computeIds?: boolean | 'folder';
  readonly limits?: PackReaderLimits;
  /**
   * For bob's single-file payloads (first object a tag, last a blob): hand the blob's compressed
   * bytes to the caller instead of inflating them. `raw` events carry its zlib stream and
   * `end()` checks the trailer. The caller must inflate with its own zlib and check that the
   * stream ends exactly with the bytes given and inflates to the announced size. This lets Node
   * inflate a large file natively, off the main thread.
   */
  readonly deferLastBlob?: boolean;
}

/** Events of `PackReader.push`, in stream order. */
export type PackEvent =
  | { readonly type: 'header'; readonly version: number; readonly count: number }
  | {
      readonly type: 'object';
      readonly index: number;
      /** Offset of the object's first header byte from the start of the PACK. */
      readonly offset: number;
      readonly objectType: BaseType;
      readonly size: number;
    }
  | {
      readonly type: 'delta';
      readonly index: number;
      readonly offset: number;
      /** Offset of the base object (an earlier entry). */
      readonly baseOffset: number;
      /** Size of the delta instruction data. */
      readonly size: number;
    }
  /** Inflated bytes of the current object (fresh memory, safe to keep). */
  | { readonly type: 'data'; readonly index: number; readonly bytes: Uint8Array }
  /** With `deferLastBlob`: compressed bytes of the last object (zlib stream, still to inflate). */
  | { readonly type: 'raw'; readonly index: number; readonly bytes: Uint8Array }
  | {
      readonly type: 'object-end';
      readonly index: number;
      /** Git id of a base object, when ids are computed. */
      readonly id?: Uint8Array;
    }
  /** The trailer matched: the PACK is complete and intact. */
  | { readonly type: 'end'; readonly checksum: Uint8Array };

type State = 'header' | 'object-header' | 'ofs' | 'inflate' | 'raw' | 'trailer' | 'done';

function bad(what: string): BobError {
  return new BobError('BAD_PACK', `invalid PACK: ${what}`);
}

/**
 * A streaming PACK parser (git pack v2/v3, as bob sends it): feed chunks of any size, get
 * objects and their inflated bytes as events, with the SHA-1 trailer checked at the end
 * (`CHECKSUM_MISMATCH`: "corrupted file"). Base objects of types 1–4 and OFS_DELTA (6) are
 * accepted; REF_DELTA (7, never sent by bob) and reserved types are refused. Memory stays
 * bounded: one inflate window and at most one block of output per call.
 */
export class PackReader {
  readonly #sha1: HashFactory;
  readonly #hash: IncrementalHash;
  readonly #computeIds: boolean | 'folder';
  readonly #maxObjects: number;
  readonly #maxObjectSize: number;
  readonly #maxDeltaSize: number;
  #state: State = 'header';
  #offset = 0;
  #count = 0;
  #index = -1;
  #stash: number[] = [];
  #entryOffset = 0;
  #entrySize = 0;
  #inflater: ZlibInflater | undefined;
  #idHash: IncrementalHash | undefined;
  #ids = false;
  readonly #offsets = new Set<number>();
  #pendingNext = false;
  readonly #deferLastBlob: boolean;
  #firstType = 0;
  /** In `raw` state: the last bytes seen, which may be the trailer. */
  #holdback = new Uint8Array(0);
  #failed: BobError | undefined;

  constructor(options: PackReaderOptions = {}) {
    this.#sha1 = options.sha1 ?? nobleSha1;
    this.#hash = this.#sha1();
    this.#computeIds = options.computeIds ?? 'folder';
    this.#maxObjects = options.limits?.maxObjects ?? DEFAULT_MAX_OBJECTS;
    this.#maxObjectSize = options.limits?.maxObjectSize ?? DEFAULT_MAX_OBJECT_SIZE;
    this.#maxDeltaSize = options.limits?.maxDeltaSize ?? DEFAULT_MAX_DELTA_SIZE;
    this.#deferLastBlob = options.deferLastBlob ?? false;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Whether the trailer arrived and matched. */
  get complete(): boolean {
    return this.#state === 'done';
  }

  /**
   * Whether the whole PACK has arrived, trailer included. With `deferLastBlob` the reader does
   * not see where the last blob's zlib stream ends, so it cannot emit `end` by itself; this
   * checks whether the last 20 bytes held back are the SHA-1 of everything before them (2^-160
   * odds of a false match: what the trailer check itself relies on). Then call `end()`. Needs a
   * hash with `copy`; false otherwise.
   */
  get trailerReached(): boolean {
    if (this.#state === 'done') return true;
    if (this.#failed || this.#state !== 'raw' || this.#holdback.length !== PACK_TRAILER_LENGTH)
      return false;
    const copy = this.#hash.copy?.();
    return copy !== undefined && bytesEqual(copy.digest(), this.#holdback);
  }

  push(chunk: Uint8Array): PackEvent[] {
    if (this.#failed) throw this.#failed;
    const events: PackEvent[] = [];
    try {
      let pos = 0;
      while (pos < chunk.length) {
        const used = this.#step(chunk, pos, events);
        if (used.n === 0) throw new BobError('BAD_ZLIB', 'the zlib stream made no progress');
        if (used.hashed) this.#hash.update(chunk.subarray(pos, pos + used.n));
        this.#offset += used.n;
        pos += used.n;
        if (this.#pendingNext) {
          this.#pendingNext = false;
          this.#nextObject();
        }
      }
    } catch (error) {
      this.#failed =
        error instanceof BobError
          ? error
          : new BobError('BAD_PACK', String(error), { cause: error });
      throw this.#failed;
    }
    return events;
  }

  /**
   * Call at end of input: throws `TRUNCATED` unless the PACK and its trailer are complete. With
   * `deferLastBlob`, this is where the trailer of a deferred object is checked: it returns the
   * last events (`object-end`, `end`).
   */
  end(): PackEvent[] {
    if (this.#failed) throw this.#failed;
    if (this.#state === 'raw' && this.#holdback.length === PACK_TRAILER_LENGTH) {
      const events: PackEvent[] = [];
      try {
        events.push({ type: 'object-end', index: this.#index });
        this.#checkTrailer(this.#holdback, events);
        return events;
      } catch (error) {
        this.#failed = error as BobError;
        throw error;
      }
    }
    if (this.#state !== 'done') {
      this.#failed = new BobError(
        'TRUNCATED',
        `the PACK stream ended early (${this.#offset} bytes, ${Math.max(0, this.#index)} of ${this.#count} objects)`,
      );
      throw this.#failed;
    }
    return [];
  }

  #checkTrailer(got: Uint8Array, events: PackEvent[]): void {
    const expected = this.#hash.digest();
    if (!bytesEqual(expected, got)) {
      throw new BobError(
        'CHECKSUM_MISMATCH',
        `corrupted file (unexpected hash): the trailer says ${toHex(got)}, the data hashes to ${toHex(expected)}`,
      );
    }
    this.#state = 'done';
    events.push({ type: 'end', checksum: Uint8Array.from(got) });
  }

  /** Consumes bytes from `chunk` at `pos`; returns how many, and whether they count in the hash. */
  #step(chunk: Uint8Array, pos: number, events: PackEvent[]): { n: number; hashed: boolean } {
    switch (this.#state) {
      case 'header': {
        const n = Math.min(PACK_HEADER_LENGTH - this.#stash.length, chunk.length - pos);
        for (let i = 0; i < n; i++) this.#stash.push(chunk[pos + i]!);
        if (this.#stash.length === PACK_HEADER_LENGTH) this.#header(events);
        return { n, hashed: true };
      }
      case 'object-header': {
        const b = chunk[pos]!;
        this.#stash.push(b);
        if (this.#stash.length > 9) throw bad('object size does not fit in 53 bits');
        if (!(b & 0x80)) this.#objectHeader(events);
        return { n: 1, hashed: true };
      }
      case 'ofs': {
        const b = chunk[pos]!;
        this.#stash.push(b);
        if (this.#stash.length > 8) throw bad('delta base offset too large');
        if (!(b & 0x80)) this.#ofs(events);
        return { n: 1, hashed: true };
      }
      case 'inflate': {
        const inflater = this.#inflater!;
        const input = chunk.subarray(pos);
        const step = inflater.push(input, this.#entrySize);
        for (const bytes of step.output) {
          this.#idHash?.update(bytes);
          events.push({ type: 'data', index: this.#index, bytes });
        }
        if (step.done) this.#objectEnd(events);
        return { n: step.consumed, hashed: true };
      }
      case 'raw': {
        // Everything but the last 20 bytes seen is zlib data; those 20 may be the trailer.
        const input = chunk.subarray(pos);
        if (input.length < PACK_TRAILER_LENGTH) {
          // Rare (a tiny chunk): join with what is held back.
          const all = new Uint8Array(this.#holdback.length + input.length);
          all.set(this.#holdback, 0);
          all.set(input, this.#holdback.length);
          const pass = Math.max(0, all.length - PACK_TRAILER_LENGTH);
          if (pass > 0) this.#raw(all.subarray(0, pass), events);
          this.#holdback = all.slice(pass);
        } else {
          // No copy of the bulk: the held-back bytes pass, then all of `input` but its tail.
          if (this.#holdback.length > 0) this.#raw(this.#holdback, events);
          const pass = input.length - PACK_TRAILER_LENGTH;
          if (pass > 0) this.#raw(input.subarray(0, pass), events);
          this.#holdback = input.slice(pass);
        }
        return { n: input.length, hashed: false };
      }
      case 'trailer': {
        const n = Math.min(PACK_TRAILER_LENGTH - this.#stash.length, chunk.length - pos);
        for (let i = 0; i < n; i++) this.#stash.push(chunk[pos + i]!);
        if (this.#stash.length === PACK_TRAILER_LENGTH)
          this.#checkTrailer(Uint8Array.from(this.#stash), events);
        return { n, hashed: false };
      }
      default:
        throw bad(`${chunk.length - pos} unexpected bytes after the trailer`);
    }
  }

  #raw(bytes: Uint8Array, events: PackEvent[]): void {
    this.#hash.update(bytes);
    events.push({ type: 'raw', index: this.#index, bytes });
  }

  #header(events: PackEvent[]): void {
    const h = Uint8Array.from(this.#stash);
    if (!bytesEqual(h.subarray(0, 4), PACK_SIGNATURE)) throw bad('missing the PACK signature');
    const view = new DataView(h.buffer);
    const version = view.getUint32(4);
    if (version !== 2 && version !== 3) throw bad(`version ${version} (2 or 3 expected)`);
    const count = view.getUint32(8);
    if (count > this.#maxObjects) {
      throw new BobError(
        'LIMIT_EXCEEDED',
        `the PACK announces ${count} objects, the limit is ${this.#maxObjects}`,
      );
    }
    this.#count = count;
    this.#stash = [];
    events.push({ type: 'header', version, count });
    this.#pendingNext = true;
  }

  #nextObject(): void {
    this.#index++;
    this.#stash = [];
    this.#entryOffset = this.#offset;
    this.#state = this.#index < this.#count ? 'object-header' : 'trailer';
  }

  #objectHeader(events: PackEvent[]): void {
    const bytes = this.#stash;
    const first = bytes[0]!;
    const type = (first >> 4) & 7;
    let size = first & 0x0f;
    let scale = 16;
    for (let i = 1; i < bytes.length; i++) {
      size += (bytes[i]! & 0x7f) * scale;
      scale *= 128;
    }
    if (!Number.isSafeInteger(size)) throw bad('object size does not fit in 53 bits');
    this.#entrySize = size;
    this.#stash = [];
    if (type === ObjectType.OfsDelta) {
      if (size > this.#maxDeltaSize) {
        throw new BobError(
          'LIMIT_EXCEEDED',
          `a delta of ${size} bytes is above the limit of ${this.#maxDeltaSize}`,
        );
      }
      this.#state = 'ofs';
      return;
    }
    if (type === ObjectType.RefDelta)
      throw bad('REF_DELTA objects are not supported (bob never sends them)');
    if (type < 1 || type > 4) throw bad(`object type ${type} is reserved`);
    if (size > this.#maxObjectSize) {
      throw new BobError(
        'LIMIT_EXCEEDED',
        `an object of ${size} bytes is above the limit of ${this.#maxObjectSize}`,
      );
    }
    if (this.#index === 0 && this.#computeIds === 'folder') this.#ids = type !== ObjectType.Tag;
    else if (this.#index === 0) this.#ids = this.#computeIds === true;
    if (this.#ids) {
      this.#idHash = this.#sha1();
      this.#idHash.update(objectHeader(type as BaseType, size));
    } else {
      this.#idHash = undefined;
    }
    this.#offsets.add(this.#entryOffset);
    this.#lastType = type;
    if (this.#index === 0) this.#firstType = type;
    events.push({
      type: 'object',
      index: this.#index,
      offset: this.#entryOffset,
      objectType: type as BaseType,
      size,
    });
    this.#startInflate();
  }

  #ofs(events: PackEvent[]): void {
    const bytes = this.#stash;
    let off = bytes[0]! & 0x7f;
    for (let i = 1; i < bytes.length; i++) off = (off + 1) * 128 + (bytes[i]! & 0x7f);
    const baseOffset = this.#entryOffset - off;
    if (off === 0 || !this.#offsets.has(baseOffset)) {
      throw bad(
        `delta at ${this.#entryOffset} points at ${baseOffset}, which is not an earlier object`,
      );
    }
    this.#stash = [];
    this.#idHash = undefined;
    this.#lastType = ObjectType.OfsDelta;
    this.#offsets.add(this.#entryOffset);
    events.push({
      type: 'delta',
      index: this.#index,
      offset: this.#entryOffset,
      baseOffset,
      size: this.#entrySize,
    });
    this.#startInflate();
  }

  #startInflate(): void {
    if (
      this.#deferLastBlob &&
      this.#index === this.#count - 1 &&
      this.#idHash === undefined &&
      this.#firstType === ObjectType.Tag &&
      this.#lastType === ObjectType.Blob
    ) {
      this.#state = 'raw';
      return;
    }
    this.#inflater = new ZlibInflater();
    this.#state = 'inflate';
  }

  #lastType = 0;

  #objectEnd(events: PackEvent[]): void {
    if (this.#inflater!.totalOut !== this.#entrySize) {
      throw bad(
        `object ${this.#index} inflates to ${this.#inflater!.totalOut} bytes, its header says ${this.#entrySize}`,
      );
    }
    this.#inflater = undefined;
    const id = this.#idHash?.digest();
    events.push(
      id
        ? { type: 'object-end', index: this.#index, id }
        : { type: 'object-end', index: this.#index },
    );
    this.#pendingNext = true;
  }
}
