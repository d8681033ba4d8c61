import { fromHex, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  decodePublic,
  decodeSecret,
  encodePublic,
  encodeSecret,
  SpokeError,
  SpokeFailure,
} from '../src/index.js';
import { VECTOR_A } from './spec-vectors.js';

describe('the 34-byte spoke public (spec §6.1)', () => {
  it("reads bob's public: PBKDF2 × 16, (GCM, ChaCha20-Poly1305), SHA-256, salt", () => {
    const pub = decodePublic(fromHex(VECTOR_A.public));
    expect(pub).toEqual({ iterations: 16, ciphers: [0, 2], salt: fromHex(VECTOR_A.salt) });
    expect(toHex(encodePublic(pub))).toBe(VECTOR_A.public);
  });

  it('refuses what spoke refuses, with Spoke_failure 03', () => {
    const bad = (patch: (b: Uint8Array) => void) => {
      const b = fromHex(VECTOR_A.public);
      patch(b);
      const e = expectThrowsCode(() => decodePublic(b), SpokeError, 'BAD_PUBLIC');
      expect(e.failure).toBe(SpokeFailure.InvalidPublic);
    };
    bad((b) => (b[3] = 1)); // KDF 1
    bad((b) => (b[13] = 3)); // cipher 3
    bad((b) => (b[17] = 5)); // hash 5
    bad((b) => (b[1] = 2)); // version 2
    bad((b) => b.fill(0, 4, 12)); // 0 iterations
    bad((b) => (b[4] = 0x80)); // 2^63 iterations: above the limit
    expectThrowsCode(() => decodePublic(new Uint8Array(33)), SpokeError, 'BAD_PUBLIC');
    expect(decodePublic(fromHex(VECTOR_A.public), { maxIterations: 16 }).iterations).toBe(16);
    expectThrowsCode(
      () => decodePublic(fromHex(VECTOR_A.public), { maxIterations: 15 }),
      SpokeError,
      'BAD_PUBLIC',
    );
  });

  it('fuzz: any 34 bytes give a public that re-encodes to the same bytes, or a SpokeError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 34, maxLength: 34 }),
        fc.boolean(),
        (bytes, plausible) => {
          if (plausible) bytes.set([0, 1, 0, 2, 0, 0, 0, 0, 0, 0], 0); // reach the later fields too
          const pub = valueOrTypedError(
            () => decodePublic(bytes, { maxIterations: 2 ** 40 }),
            SpokeError,
          );
          if (pub) expect(toHex(encodePublic(pub))).toBe(toHex(bytes));
        },
      ),
    );
  });

  it('fuzz: any 162 bytes give a secret that re-encodes to the same bytes, or a SpokeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 162, maxLength: 162 }), (bytes) => {
        bytes.set(fromHex(VECTOR_A.public), 0);
        const secret = valueOrTypedError(() => decodeSecret(bytes), SpokeError);
        if (secret) expect(toHex(encodeSecret(secret))).toBe(toHex(bytes));
      }),
    );
    expectThrowsCode(() => decodeSecret(new Uint8Array(162)), SpokeError, 'BAD_SECRET');
  });
});
