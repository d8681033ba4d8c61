import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyFlags, mixFlags, SecureFlag } from '../src/index.js';
import { cat, u64le } from './helpers.js';

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('the flags rehash (spec §11, §16 decided from upstream)', () => {
  it('mixFlags = SHA-256(key ‖ u64le(a) ‖ u64le(b))', () => {
    fc.assert(
      fc.property(key32, u64, u64, (k, a, b) => {
        expect(mixFlags(k, a, b)).toEqual(sha(cat(k, u64le(a), u64le(b))));
      }),
      { numRuns: 500 },
    );
  });

  it('rehashes when the peer flags are non-zero: rx with (peer, mine), tx with (mine, peer)', () => {
    const keys = { rx: new Uint8Array(32).fill(1), tx: new Uint8Array(32).fill(2) };
    const out = applyFlags(keys, SecureFlag.SUPPORTS_FLAGS, 0n);
    expect(out.rx).toEqual(sha(cat(keys.rx, u64le(1n), u64le(0n))));
    expect(out.tx).toEqual(sha(cat(keys.tx, u64le(0n), u64le(1n))));
    expect(applyFlags(keys, 0n, SecureFlag.SUPPORTS_FLAGS)).toBe(keys);
    expect(applyFlags(keys, 0n, 0n)).toBe(keys);
  });

  it('two sides that both send non-zero flags agree on the keys', () => {
    fc.assert(
      fc.property(
        key32,
        key32,
        fc.bigInt({ min: 1n, max: 255n }),
        fc.bigInt({ min: 1n, max: 255n }),
        (k1, k2, fa, fb) => {
          const a = applyFlags({ rx: k1, tx: k2 }, fb, fa);
          const b = applyFlags({ rx: k2, tx: k1 }, fa, fb);
          expect(a.tx).toEqual(b.rx);
          expect(a.rx).toEqual(b.tx);
        },
      ),
      { numRuns: 300 },
    );
  });
});
