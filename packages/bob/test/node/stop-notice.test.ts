import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLOSE_RECORD } from '../../src/index.js';
import {
  decodeStopNotice,
  encodeStopNotice,
  MAX_STOP_NOTICE_TEXT,
} from '../../src/node/stop-notice.js';

describe('stop notices', () => {
  it('round-trip after the close marker (text cut to the limit, one line)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('stopped', 'refused') as fc.Arbitrary<'stopped' | 'refused'>,
        fc.string(),
        (kind, text) => {
          const bytes = encodeStopNotice({ kind, text });
          expect(bytes.subarray(0, 4)).toEqual(CLOSE_RECORD);
          const back = decodeStopNotice(bytes.subarray(4));
          expect(back).toEqual({
            kind,
            text: text.slice(0, MAX_STOP_NOTICE_TEXT).replace(/[\r\n]/g, ' '),
          });
        },
      ),
    );
  });

  it('arbitrary bytes decode to nothing or to a well-formed notice, never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const n = decodeStopNotice(bytes);
        if (n !== undefined) {
          expect(['stopped', 'refused']).toContain(n.kind);
          expect(n.text.length).toBeLessThanOrEqual(MAX_STOP_NOTICE_TEXT);
        }
      }),
    );
    // The relay's own marker after the receiver's: no notice.
    expect(decodeStopNotice(CLOSE_RECORD)).toBeUndefined();
  });
});
