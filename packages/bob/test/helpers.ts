// Test helpers: a tiny git delta encoder and a raw PACK builder for crafting hostile packs.
import { concatBytes } from '@peerwire/wire';
import { PackWriter } from '../src/index.js';
import { zlibDeflate } from '../src/internal.js';

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

export type DeltaOp = { copy: [offset: number, size: number] } | { insert: Uint8Array };

/** Encodes git delta data (spec §8.3). */
export function encodeDelta(
  baseSize: number,
  resultSize: number,
  ops: readonly DeltaOp[],
): Uint8Array {
  const out = [...varint(baseSize), ...varint(resultSize)];
  for (const op of ops) {
    if ('copy' in op) {
      const [offset, size] = op.copy;
      let cmd = 0x80;
      const args: number[] = [];
      for (let i = 0; i < 4; i++) {
        const b = (offset >>> (8 * i)) & 0xff;
        if (b) {
          cmd |= 1 << i;
          args.push(b);
        }
      }
      const s = size === 0x10000 ? 0 : size;
      for (let i = 0; i < 3; i++) {
        const b = (s >>> (8 * i)) & 0xff;
        if (b) {
          cmd |= 0x10 << i;
          args.push(b);
        }
      }
      out.push(cmd, ...args);
    } else {
      for (let o = 0; o < op.insert.length; o += 127) {
        const part = op.insert.subarray(o, o + 127);
        out.push(part.length, ...part);
      }
    }
  }
  return Uint8Array.from(out);
}

export type RawObject =
  | { type: 1 | 2 | 3 | 4; content: Uint8Array }
  | { type: 6; baseIndex: number; delta: Uint8Array };

/** Builds a PACK from raw objects (any content, any names: for hostile tests). */
export function buildPack(objects: readonly RawObject[], level = 4): Uint8Array {
  const writer = new PackWriter(objects.length);
  const parts = [writer.header()];
  const offsets: number[] = [];
  for (const o of objects) {
    offsets.push(writer.offset);
    if (o.type === 6) {
      parts.push(
        writer.ofsDelta(offsets[o.baseIndex]!, o.delta.length),
        writer.data(zlibDeflate(o.delta, level)),
      );
    } else {
      parts.push(
        writer.object(o.type, o.content.length),
        writer.data(zlibDeflate(o.content, level)),
      );
    }
  }
  parts.push(writer.trailer());
  return concatBytes(...parts);
}

/** Feeds `bytes` to `push` in pieces whose sizes cycle through `cuts`. */
export function chunked<T>(
  bytes: Uint8Array,
  cuts: readonly number[],
  push: (chunk: Uint8Array) => T[],
): T[] {
  const out: T[] = [];
  let o = 0;
  let i = 0;
  while (o < bytes.length) {
    const n = cuts[i++ % cuts.length]!;
    out.push(...push(bytes.subarray(o, o + n)));
    o += n;
  }
  return out;
}
