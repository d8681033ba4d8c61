import { describe, expect, it } from 'vitest';
import { generatePassword, passwordEntropyBits } from '../src/index.js';
import { nodeRandom } from '../src/node/index.js';

describe('password generator (spec §9, §12)', () => {
  it('makes two pronounceable chains joined by "-", in bob style', () => {
    for (let i = 0; i < 200; i++) {
      const pw = generatePassword(nodeRandom);
      expect(pw).toMatch(/^[a-z]+-[a-z]+$/);
    }
  });

  it('draws from a CSPRNG with no visible bias and no repeats', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(generatePassword(nodeRandom));
    expect(seen.size).toBe(2000);
    expect(passwordEntropyBits()).toBeGreaterThan(50);
    expect(passwordEntropyBits({ syllablesPerPart: 1 })).toBeLessThan(passwordEntropyBits());
  });

  it('uses rejection sampling: out-of-range draws are redrawn, not folded', () => {
    // 30 onsets: 65536 - 65536 % 30 = 65520 is the first rejected value.
    const draws = [0xff, 0xf0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let i = 0;
    const pw = generatePassword((n) => Uint8Array.from({ length: n }, () => draws[i++] ?? 0), {
      syllablesPerPart: 1,
    });
    // First draw (65520) rejected; the second (1) picks onset "c", then vowel "a", coda "".
    expect(pw.startsWith('ca')).toBe(true);
  });
});
