import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode } from '../../../tooling/test-helpers.js';
import {
  CloseCode,
  checkCloseCode,
  isSendableCloseCode,
  MAX_CLOSE_REASON_BYTES,
  TransportError,
  truncateReason,
} from '../src/index.js';

const utf8 = (s: string) => new TextEncoder().encode(s).length;

describe('close codes', () => {
  it('accepts exactly the codes RFC 6455 lets an endpoint send', () => {
    const sendable: number[] = [];
    for (let code = 0; code < 6000; code++) if (isSendableCloseCode(code)) sendable.push(code);
    const expected = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014];
    for (let code = 3000; code <= 4999; code++) expected.push(code);
    expect(sendable).toEqual(expected);
    expect(isSendableCloseCode(1000.5)).toBe(false);
    expect(isSendableCloseCode(Number.NaN)).toBe(false);
  });

  it('checkCloseCode throws BAD_CLOSE_CODE for the others', () => {
    expectThrowsCode(() => checkCloseCode(CloseCode.Abnormal), TransportError, 'BAD_CLOSE_CODE');
    expectThrowsCode(() => checkCloseCode(CloseCode.NoStatus), TransportError, 'BAD_CLOSE_CODE');
    expect(() => checkCloseCode(CloseCode.MessageTooBig)).not.toThrow();
  });
});

describe('truncateReason', () => {
  it('keeps short reasons and cuts long ones to the longest whole-character prefix of at most 123 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (reason) => {
        const cut = truncateReason(reason);
        expect(reason.startsWith(cut)).toBe(true);
        expect(utf8(cut)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
        if (utf8(reason) <= MAX_CLOSE_REASON_BYTES) expect(cut).toBe(reason);
        else {
          const next = [...reason.slice(cut.length)][0]!; // the first character left out
          expect(utf8(cut + next)).toBeGreaterThan(MAX_CLOSE_REASON_BYTES);
        }
      }),
    );
  });

  it('never splits a multi-byte character', () => {
    expect(truncateReason('é'.repeat(100))).toBe('é'.repeat(61)); // 122 bytes; 62 would be 124
    expect(truncateReason('😀'.repeat(40))).toBe('😀'.repeat(30)); // 120 bytes
    expect(truncateReason('a'.repeat(200))).toBe('a'.repeat(123));
  });
});
