import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compressionPays,
  DEFAULT_MIN_COMPRESSION_SAVING,
  DEFAULT_PROBE_SAMPLE_BYTES,
  probeRanges,
} from '../src/index.js';

describe('compressionPays', () => {
  it('compresses when the samples shrink by at least the minimum saving', () => {
    expect(DEFAULT_MIN_COMPRESSION_SAVING).toBe(0.1);
    expect(compressionPays(1000, 900)).toBe(true);
    expect(compressionPays(1000, 901)).toBe(false);
    expect(compressionPays(1000, 1010)).toBe(false); // random data grows a little
    expect(compressionPays(1000, 500, { minSaving: 0.6 })).toBe(false);
    expect(compressionPays(0, 8)).toBe(true); // nothing sampled: an empty file, compress
  });
});

describe('probeRanges', () => {
  it('samples the start, the middle and the end of a large file', () => {
    const s = DEFAULT_PROBE_SAMPLE_BYTES;
    expect(probeRanges(1 << 30)).toEqual([
      { offset: 0, length: s },
      { offset: (1 << 29) - s / 2, length: s },
      { offset: (1 << 30) - s, length: s },
    ]);
    expect(probeRanges(100)).toEqual([{ offset: 0, length: 100 }]);
    expect(probeRanges(0)).toEqual([]);
  });

  it('stays inside the file and reads little, whatever the size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 44 }),
        fc.integer({ min: 1, max: 1 << 20 }),
        (size, sampleBytes) => {
          const ranges = probeRanges(size, { sampleBytes });
          let total = 0;
          for (const r of ranges) {
            expect(r.offset).toBeGreaterThanOrEqual(0);
            expect(r.length).toBeGreaterThan(0);
            expect(r.offset + r.length).toBeLessThanOrEqual(size);
            total += r.length;
          }
          expect(total).toBeLessThanOrEqual(Math.min(size, 3 * sampleBytes));
          if (size > 0) expect(ranges.length).toBeGreaterThan(0);
        },
      ),
    );
  });
});
