import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { BobError } from './errors.js';

/**
 * PBKDF2-HMAC-SHA256 as spoke computes it (spoke:lib/pbkdf2.ml): identical to RFC 8018 except
 * that the 4-byte block index appended to the salt is **little-endian** (`01 00 00 00` for block
 * 1). A standard `pbkdf2()` gives different bytes, so this is the only correct choice for bob
 * (spec §6.2). The password is the raw bytes, not normalised.
 */
export function spokePbkdf2(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Uint8Array {
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new BobError('BAD_PUBLIC', `PBKDF2 needs a positive iteration count, got ${iterations}`);
  }
  if (!Number.isSafeInteger(length) || length < 1) {
    throw new BobError('BAD_PUBLIC', `PBKDF2 needs a positive output length, got ${length}`);
  }
  const keyed = hmac.create(sha256, password);
  const out = new Uint8Array(length);
  const block = new Uint8Array(salt.length + 4);
  block.set(salt, 0);
  const u = new Uint8Array(32);
  const t = new Uint8Array(32);
  for (let index = 1, offset = 0; offset < length; index++, offset += 32) {
    new DataView(block.buffer).setUint32(salt.length, index, true); // the quirk: little-endian
    keyed._cloneInto().update(block).digestInto(u);
    t.set(u);
    for (let j = 1; j < iterations; j++) {
      keyed._cloneInto().update(u).digestInto(u);
      for (let k = 0; k < 32; k++) t[k]! ^= u[k]!;
    }
    out.set(t.subarray(0, Math.min(32, length - offset)), offset);
  }
  return out;
}
