import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex, utf8Encode } from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode } from '../../../tooling/test-helpers.js';
import { BobError } from '../src/index.js';
import { spokePbkdf2 } from '../src/internal.js';
import { VECTOR_A, WRONG_STANDARD_PBKDF2_HK } from './spec-vectors.js';

describe('spoke PBKDF2 (little-endian block index, spec §6.2)', () => {
  const password = utf8Encode(VECTOR_A.password);
  const salt = fromHex(VECTOR_A.salt);

  it('gives vector A h_K at bytes 64..96', () => {
    expect(toHex(spokePbkdf2(password, salt, 16, 128).subarray(64, 96))).toBe(VECTOR_A.hK);
  });

  it('differs from RFC 8018 PBKDF2, whose h_K is the §10.3 negative value', () => {
    const standard = pbkdf2(sha256, password, salt, { c: 16, dkLen: 128 });
    expect(toHex(standard.subarray(64, 96))).toBe(WRONG_STANDARD_PBKDF2_HK);
    expect(toHex(spokePbkdf2(password, salt, 16, 128).subarray(64, 96))).not.toBe(
      WRONG_STANDARD_PBKDF2_HK,
    );
  });

  it('differs from RFC 8018 at other counts too; shorter outputs are prefixes of longer ones', () => {
    const ours = spokePbkdf2(password, salt, 3, 32);
    const rfc = pbkdf2(sha256, password, salt, { c: 3, dkLen: 32 });
    expect(toHex(ours)).not.toBe(toHex(rfc));
    expect(spokePbkdf2(password, salt, 16, 40).subarray(0, 32)).toEqual(
      spokePbkdf2(password, salt, 16, 32),
    );
  });

  it('refuses a zero iteration count', () => {
    expectThrowsCode(() => spokePbkdf2(password, salt, 0, 32), BobError, 'BAD_PUBLIC');
  });
});
