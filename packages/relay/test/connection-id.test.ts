import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Relay } from '../src/index.js';

/** The hand-written encoder the relay used before `@scure/base`: the ids must not change. */
function oldClientId(r: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let s = '';
  for (let i = 0; i < 24; i++) {
    const bit = i * 5;
    const byte = bit >> 3;
    const v = ((r[byte]! << 8) | (r[byte + 1] ?? 0)) >> (11 - (bit & 7));
    s += alphabet[v & 31];
  }
  return `conn-${s.slice(0, 6)}-${s.slice(6, 10)}-${s.slice(10, 14)}-${s.slice(14, 18)}-${s.slice(18)}`;
}

const peer = { send: () => {}, bufferedAmount: 0, close: () => {} };

function cidFor(bytes: Uint8Array): string | undefined {
  const relay = new Relay({
    serverCode: 'tst1',
    clock: { now: () => 0 },
    random: { bytes: (n) => (n === 15 ? bytes.slice() : new Uint8Array(n)), int: () => 0 },
  });
  return relay.accept(peer, '127.0.0.1')?.cid;
}

describe('connection ids', () => {
  it('are the 15 drawn bytes in lower-case RFC 4648 base32, grouped 6-4-4-4-6, as before', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 15, maxLength: 15 }), (bytes) => {
        const cid = cidFor(bytes);
        expect(cid).toBe(`tst1.${oldClientId(bytes)}`);
        expect(cid).toMatch(
          /^tst1\.conn-[a-z2-7]{6}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{6}$/,
        );
      }),
    );
  });

  it('match known vectors', () => {
    expect(cidFor(new Uint8Array(15).fill(0xff))).toBe('tst1.conn-777777-7777-7777-7777-777777');
    expect(cidFor(new Uint8Array(15))).toBe('tst1.conn-aaaaaa-aaaa-aaaa-aaaa-aaaaaa');
  });
});
