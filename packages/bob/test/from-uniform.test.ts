import { ed25519 } from '@noble/curves/ed25519.js';
import { fromHex, toHex, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUniform, spokePbkdf2 } from '../src/internal.js';
import { VECTOR_A, VECTOR_B } from './spec-vectors.js';

describe('from_uniform (libsodium crypto_core_ed25519_from_uniform, spec §6.3)', () => {
  it.each([VECTOR_A, VECTOR_B])('maps vector $name PBKDF2 output to its M and N', (v) => {
    const mnkl = spokePbkdf2(utf8Encode(v.password), fromHex(v.salt), 16, 128);
    expect(toHex(fromUniform(mnkl.subarray(0, 32)))).toBe(v.M);
    expect(toHex(fromUniform(mnkl.subarray(32, 64)))).toBe(v.N);
  });

  it('always gives a prime-order point; the top bit only flips the sign before the cofactor', () => {
    // Each case costs two cofactor multiplications and two subgroup checks (~8 ms): 500 runs.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (r) => {
        const p = ed25519.Point.fromBytes(fromUniform(r));
        expect(p.isTorsionFree()).toBe(true);
        const flipped = Uint8Array.from(r);
        flipped[31]! ^= 0x80;
        const q = ed25519.Point.fromBytes(fromUniform(flipped));
        expect(p.equals(q) || p.equals(q.negate())).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
