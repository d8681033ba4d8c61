/**
 * Small-buffer pool for encoders. Allocating a fresh `ArrayBuffer` costs microseconds in V8 (it
 * lives outside the heap), which would dominate the encoding of a few hundred bytes. Like Node's
 * Buffer pool, small outputs are carved out of a shared slab instead, with a bump pointer; a slab
 * is never reused, so no stale data can leak between outputs. The results are plain `Uint8Array`
 * views: code that reaches for `.buffer` must honour `byteOffset` and `byteLength`.
 */
const SLAB_SIZE = 32 * 1024;
/** Outputs larger than this get their own buffer. */
const MAX_POOLED = 4 * 1024;

let slab = new ArrayBuffer(SLAB_SIZE);
let used = 0;

/** `n` writable bytes (zero-filled: every slab starts zeroed and is never reused). */
export function allocBytes(n: number): Uint8Array {
  if (n > MAX_POOLED) return new Uint8Array(n);
  if (used + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    used = 0;
  }
  const out = new Uint8Array(slab, used, n);
  used = (used + n + 7) & ~7; // keep 8-byte alignment for DataView users
  return out;
}
