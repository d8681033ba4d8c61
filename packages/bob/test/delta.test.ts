import { utf8Decode, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import { BobError } from '../src/index.js';
import { applyDelta, deltaSizes } from '../src/internal.js';
import { encodeDelta } from './helpers.js';

describe('git deltas (spec §8.3)', () => {
  const base = utf8Encode('the quick brown fox jumps over the lazy dog');

  it('applies copies and inserts', () => {
    const delta = encodeDelta(base.length, 24, [
      { copy: [4, 5] },
      { insert: utf8Encode(' red ') },
      { copy: [16, 14] },
    ]);
    expect(deltaSizes(delta)).toMatchObject({ base: base.length, result: 24 });
    expect(utf8Decode(applyDelta(base, delta))).toBe('quick red fox jumps over');
  });

  it('reads size 0 in a copy as 0x10000', () => {
    const big = new Uint8Array(0x10000).map((_, i) => i & 0xff);
    const delta = encodeDelta(big.length, big.length, [{ copy: [0, 0x10000] }]);
    expect(delta[delta.length - 1]).toBe(0x80); // no offset or size bytes at all
    expect(applyDelta(big, delta)).toEqual(big);
  });

  it('refuses every malformed delta with BAD_DELTA', () => {
    const bad = (d: Uint8Array) =>
      expectThrowsCode(() => applyDelta(base, d), BobError, 'BAD_DELTA');
    bad(encodeDelta(base.length + 1, 1, [{ insert: utf8Encode('x') }])); // wrong base size
    bad(encodeDelta(base.length, 5, [{ copy: [40, 10] }])); // copy outside the base
    bad(encodeDelta(base.length, 2, [{ insert: utf8Encode('x') }])); // result too short
    bad(encodeDelta(base.length, 1, [{ insert: utf8Encode('xy') }])); // result too long
    bad(Uint8Array.of(base.length, 1, 0)); // opcode 0
    bad(Uint8Array.of(base.length, 1, 5, 0x41)); // truncated literal
    bad(Uint8Array.of(0x80)); // truncated size
    expectThrowsCode(
      () => applyDelta(base, encodeDelta(base.length, 100, [{ copy: [0, 43] }]), 50),
      BobError,
      'LIMIT_EXCEEDED',
    );
  });

  it('fuzz: arbitrary delta data gives a result of the announced size or a BobError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (b, d) => {
        const out = valueOrTypedError(() => applyDelta(b, d, 4096), BobError);
        if (out) expect(out.length).toBe(deltaSizes(d).result);
      }),
    );
  });
});
