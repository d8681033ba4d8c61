import { toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDmsg, encodeDmsg, sha256, sha256d } from '../src/index.js';
import { nodeSha256, nodeSha256d } from '../src/node/index.js';

describe('node:crypto hashes (@peerwire/datt/node)', () => {
  it('equal the portable SHA-256 and SHA-256d for any input, as plain Uint8Arrays', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (data) => {
        expect(toHex(nodeSha256(data))).toBe(toHex(sha256(data)));
        expect(toHex(nodeSha256d(data))).toBe(toHex(sha256d(data)));
      }),
    );
    expect(Buffer.isBuffer(nodeSha256d(new Uint8Array(1)))).toBe(false);
  });

  it('make and check the same DMsg frames as the portable hash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        const frame = encodeDmsg('contentauth', data, { sha256d: nodeSha256d });
        expect(toHex(frame)).toBe(toHex(encodeDmsg('contentauth', data)));
        expect(toHex(decodeDmsg(frame, { sha256d: nodeSha256d }).data)).toBe(toHex(data));
      }),
    );
  });
});
