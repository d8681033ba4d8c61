import { concatBytes, toHex, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  bitcoreDecrypt,
  bitcoreEncrypt,
  DattError,
  electrumDecrypt,
  electrumEncrypt,
  publicKeyOf,
} from '../src/index.js';
import { bsv, bsvKeyPair, keyOf, seededRandom } from './helpers.js';

const bob = keyOf('bob');
const bobPub = publicKeyOf(bob);
const bobBsv = bsvKeyPair(bob);
// Lengths around the AES block size. The cross-checks are a fixed table: bsv is pure JS.
const MESSAGES = [0, 1, 15, 16, 17, 31, 32, 33, 100, 1000].map((n) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff),
);

describe('bitcore / fullnode ECIES (spec §5.1)', () => {
  it('produces the same bytes as bsv for the same ephemeral key and IV', () => {
    const eph = keyOf('ephemeral');
    const iv = Uint8Array.from({ length: 16 }, (_, i) => i);
    for (const m of MESSAGES) {
      const ours = bitcoreEncrypt(m, bobPub, { ephemeralPrivateKey: eph, iv });
      const theirs = bsv.Ecies.bitcoreEncrypt(
        Buffer.from(m),
        bobBsv.pubKey,
        bsvKeyPair(eph),
        Buffer.from(iv),
      );
      expect(toHex(ours)).toBe(theirs.toString('hex'));
    }
  });

  it('decrypts with bsv, and decrypts what bsv encrypts (random keys and IVs)', () => {
    for (const m of MESSAGES) {
      const ours = bitcoreEncrypt(m, bobPub);
      expect(toHex(bsv.Ecies.bitcoreDecrypt(Buffer.from(ours), bobBsv.privKey))).toBe(toHex(m));
      const theirs = bsv.Ecies.bitcoreEncrypt(Buffer.from(m), bobBsv.pubKey);
      expect(toHex(bitcoreDecrypt(theirs, bob))).toBe(toHex(m));
    }
  });

  it('has the layout R(33) ‖ IV(16) ‖ 16k ‖ d(32), minimum 97 bytes', () => {
    const c = bitcoreEncrypt(new Uint8Array(0), bobPub, { random: seededRandom('x') });
    expect(c.length).toBe(97);
    expect([2, 3]).toContain(c[0]);
    expect(bitcoreEncrypt(new Uint8Array(16), bobPub).length).toBe(33 + 16 + 32 + 32);
  });

  it('checks the MAC (in constant time) before decrypting', () => {
    const c = bitcoreEncrypt(utf8Encode('secret'), bobPub);
    expectThrowsCode(() => bitcoreDecrypt(c, keyOf('eve')), DattError, 'BAD_MAC');
    for (const at of [40, 60, c.length - 1]) {
      const t = c.slice();
      t[at]! ^= 1;
      expectThrowsCode(() => bitcoreDecrypt(t, bob), DattError, 'BAD_MAC');
    }
    expectThrowsCode(() => bitcoreDecrypt(c.subarray(0, 96), bob), DattError, 'TRUNCATED');
    expectThrowsCode(
      () => bitcoreDecrypt(concatBytes(c, new Uint8Array(1)), bob),
      DattError,
      'BAD_CIPHERTEXT',
    );
    const badR = c.slice();
    badR[0] = 4;
    expectThrowsCode(() => bitcoreDecrypt(badR, bob), DattError, 'BAD_KEY');
  });

  it('decrypts arbitrary bytes to a DattError, never a stray exception', () => {
    const R = bitcoreEncrypt(new Uint8Array(0), bobPub).subarray(0, 33);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), fc.boolean(), (bytes, realR) => {
        const input = realR ? concatBytes(R, bytes) : bytes;
        valueOrTypedError(() => bitcoreDecrypt(input, bob), DattError);
      }),
      { numRuns: 1000 }, // an ECDH a case
    );
  });
});

describe('Electrum ECIES "BIE1" (spec §5.2)', () => {
  it('produces the same bytes as bsv for the same ephemeral key', () => {
    const eph = keyOf('ephemeral');
    for (const m of MESSAGES) {
      const ours = electrumEncrypt(m, bobPub, { ephemeralPrivateKey: eph });
      const theirs = bsv.Ecies.electrumEncrypt(Buffer.from(m), bobBsv.pubKey, bsvKeyPair(eph));
      expect(toHex(ours)).toBe(theirs.toString('hex'));
    }
  });

  it('decrypts with bsv, and decrypts what bsv encrypts', () => {
    for (const m of MESSAGES) {
      const ours = electrumEncrypt(m, bobPub);
      expect(toHex(bsv.Ecies.electrumDecrypt(Buffer.from(ours), bobBsv.privKey))).toBe(toHex(m));
      const theirs = bsv.Ecies.electrumEncrypt(Buffer.from(m), bobBsv.pubKey, null);
      expect(toHex(electrumDecrypt(theirs, bob))).toBe(toHex(m));
    }
  });

  it('uses a fresh ephemeral key (so a fresh IV) for every message', () => {
    const m = utf8Encode('same message');
    expect(toHex(electrumEncrypt(m, bobPub))).not.toBe(toHex(electrumEncrypt(m, bobPub)));
  });

  it('has the layout "BIE1" ‖ R ‖ 16k ‖ mac, and its MAC covers magic and R', () => {
    const c = electrumEncrypt(utf8Encode('hi'), bobPub);
    expect(toHex(c.subarray(0, 4))).toBe('42494531');
    expect(c.length).toBe(4 + 33 + 16 + 32);
    const otherR = c.slice();
    otherR.set(publicKeyOf(keyOf('other')), 4);
    expectThrowsCode(() => electrumDecrypt(otherR, bob), DattError, 'BAD_MAC');
    const noMagic = c.slice();
    noMagic[0] = 0x41;
    expectThrowsCode(() => electrumDecrypt(noMagic, bob), DattError, 'BAD_VALUE');
    expectThrowsCode(() => electrumDecrypt(c, keyOf('eve')), DattError, 'BAD_MAC');
  });

  it('decrypts arbitrary bytes to a DattError, never a stray exception', () => {
    const head = electrumEncrypt(new Uint8Array(0), bobPub).subarray(0, 37);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), fc.boolean(), (bytes, realHead) => {
        const input = realHead ? concatBytes(head, bytes) : bytes;
        valueOrTypedError(() => electrumDecrypt(input, bob), DattError);
      }),
      { numRuns: 1000 }, // an ECDH a case
    );
  });
});
