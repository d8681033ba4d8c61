import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloseCode, MAX_CLOSE_REASON_BYTES, truncateReason } from '../src/index.js';

const utf8 = (s: string) => new TextEncoder().encode(s).length;

describe('close codes', () => {
  it('are the RFC 6455 values', () => {
    expect(CloseCode.Normal).toBe(1000);
    expect(CloseCode.PolicyViolation).toBe(1008);
    expect(CloseCode.MessageTooBig).toBe(1009);
    expect(CloseCode.TryAgainLater).toBe(1013);
  });

  it('truncateReason keeps short reasons and cuts long ones on a character boundary', () => {
    expect(truncateReason('bye')).toBe('bye');
    const euro = '€'.repeat(50); // 150 bytes; 41 whole characters fit in 123
    expect(truncateReason(euro)).toBe('€'.repeat(41));
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (reason) => {
        const cut = truncateReason(reason);
        expect(utf8(cut)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
        expect(reason.startsWith(cut)).toBe(true);
        if (utf8(reason) <= MAX_CLOSE_REASON_BYTES) expect(cut).toBe(reason);
        // never a lone surrogate: the cut is valid UTF-16 that encodes without replacement
        expect(new TextDecoder().decode(new TextEncoder().encode(cut))).toBe(cut);
      }),
    );
  });
});
