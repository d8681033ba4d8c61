import { concatBytes, toHex, utf8Decode, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  addressFromPublicKey,
  addressToString,
  CONTENT_AUTH_HEADER_LENGTH,
  contentHashOf,
  DattError,
  decodeContentAuth,
  encodeContentAuth,
  encodeContentBody,
  parseContentBody,
  publicKeyOf,
  sha256,
  signContentAuth,
  verifyContentAuth,
} from '../src/index.js';
import { bitcoinMessage, keyOf } from './helpers.js';

const alice = keyOf('alice');
const body = encodeContentBody({ name: 'alice', label: 'science', title: 'Hello', body: '# Hi' });
const signed = signContentAuth(
  {
    content: body,
    date: 1_438_732_800_000, // 2015-08-05
    blockhash: sha256(utf8Encode('block')),
    blockheight: 368_000,
    parenthash: sha256(utf8Encode('parent')),
  },
  alice,
);

describe('ContentAuth', () => {
  it('lays out the fields as spec §4.1 says', () => {
    const b = signed.bytes;
    expect(b.length).toBe(CONTENT_AUTH_HEADER_LENGTH + body.length);
    expect(toHex(b.subarray(0, 33))).toBe(toHex(publicKeyOf(alice)));
    expect(toHex(b.subarray(130, 134))).toBe('00059d80'); // 368000 big-endian
    expect(toHex(b.subarray(166, 174))).toBe('0000014efb285000'); // date big-endian
    expect(toHex(b.subarray(174, 195))).toBe(toHex(addressFromPublicKey(publicKeyOf(alice))));
    expect(utf8Decode(b.subarray(195))).toBe(
      '{"name":"alice","label":"science","title":"Hello","type":"markdown","body":"# Hi"}',
    );
    expect(toHex(signed.hash)).toBe(toHex(sha256(b))); // single SHA-256 (spec §4.4)
  });

  it('signs bytes 98..end as a Bitcoin Signed Message that bitcoinjs-message verifies', () => {
    const address = addressToString(signed.contentAuth.address);
    expect(
      bitcoinMessage.verify(
        Buffer.from(signed.bytes.subarray(98)),
        address,
        Buffer.from(signed.contentAuth.sig),
      ),
    ).toBe(true);
  });

  it('accepts a ContentAuth whose signature was made by bitcoinjs-message', () => {
    const bob = keyOf('bob');
    const unsigned = encodeContentAuth({
      ...signed.contentAuth,
      pubkey: publicKeyOf(bob),
      sig: new Uint8Array(65),
    });
    const sig = bitcoinMessage.sign(Buffer.from(unsigned.subarray(98)), Buffer.from(bob), true);
    unsigned.set(sig, 33);
    expect(verifyContentAuth(unsigned, contentHashOf(unsigned)).blockheight).toBe(368_000);
  });

  it('verifies signature, recovered key and content hash', () => {
    const ca = verifyContentAuth(signed.bytes, signed.hash);
    expect(ca.date).toBe(1_438_732_800_000);
    expect(parseContentBody(ca.content).title).toBe('Hello');
    // Any flipped bit after the signature breaks it.
    for (const at of [98, 131, 140, 170, 180, 200]) {
      const t = signed.bytes.slice();
      t[at]! ^= 1;
      expectThrowsCode(() => verifyContentAuth(t), DattError, 'KEY_MISMATCH');
    }
    // Another (valid) key put in place of the author's.
    const swapped = concatBytes(publicKeyOf(keyOf('mallory')), signed.bytes.subarray(33));
    expectThrowsCode(() => verifyContentAuth(swapped), DattError, 'KEY_MISMATCH');
    // A pubkey that is not a point.
    const notKey = signed.bytes.slice();
    notKey[0] = 5;
    expectThrowsCode(() => verifyContentAuth(notKey), DattError, 'BAD_KEY');
    // The hash of something else.
    expectThrowsCode(
      () => verifyContentAuth(signed.bytes, sha256(body)),
      DattError,
      'HASH_MISMATCH',
    );
  });

  it('decodes arbitrary bytes to a value that re-encodes identically, or a DattError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 180, maxLength: 260 }), (bytes) => {
        const ca = valueOrTypedError(() => decodeContentAuth(bytes), DattError);
        if (ca) expect(toHex(encodeContentAuth(ca))).toBe(toHex(bytes));
      }),
    );
  });

  it('verification of arbitrary bytes gives a value or a DattError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 195, maxLength: 230 }),
        fc.boolean(),
        (bytes, realKey) => {
          if (realKey) bytes.set(publicKeyOf(alice), 0);
          valueOrTypedError(() => verifyContentAuth(bytes), DattError);
        },
      ),
      { numRuns: 1000 }, // a point recovery a case
    );
  });

  it('validates the JSON content', () => {
    expectThrowsCode(() => parseContentBody(utf8Encode('{')), DattError, 'BAD_UTF8');
    expectThrowsCode(() => parseContentBody(Uint8Array.of(0xff)), DattError, 'BAD_UTF8');
    expectThrowsCode(() => parseContentBody(utf8Encode('{"name":1}')), DattError, 'BAD_VALUE');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        valueOrTypedError(() => parseContentBody(bytes), DattError);
      }),
    );
  });

  it('refuses to encode bad field lengths and ranges', () => {
    const ca = signed.contentAuth;
    expectThrowsCode(
      () => encodeContentAuth({ ...ca, sig: new Uint8Array(64) }),
      DattError,
      'BAD_LENGTH',
    );
    expectThrowsCode(
      () => encodeContentAuth({ ...ca, blockheight: 2 ** 32 }),
      DattError,
      'BAD_VALUE',
    );
    expectThrowsCode(() => encodeContentAuth({ ...ca, date: -1 }), DattError, 'BAD_VALUE');
    expectThrowsCode(
      () => decodeContentAuth(signed.bytes.subarray(0, 194)),
      DattError,
      'TRUNCATED',
    );
  });
});
