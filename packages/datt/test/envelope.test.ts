import { concatBytes, toHex, utf8Decode, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  bitcoreDecrypt,
  bsmHash,
  DattError,
  decodeEnvelope,
  ENVELOPE_HEADER_LENGTH,
  encodeEnvelope,
  openEnvelope,
  publicKeyOf,
  sealEnvelope,
  sha256,
  signCompact,
  verifyEnvelopeSender,
} from '../src/index.js';
import { bsv, bsvKeyPair, keyOf } from './helpers.js';

const alice = keyOf('alice');
const bob = keyOf('bob');
const mallory = keyOf('mallory');
const bobPub = publicKeyOf(bob);
const plaintext = utf8Encode('meet at the usual place');

describe('DattEnvelope v1 (spec §5.3)', () => {
  it('lays out mac ‖ receiver ‖ sender ‖ sig ‖ datalen ‖ data', () => {
    const e = sealEnvelope(plaintext, alice, bobPub);
    expect(toHex(e.subarray(32, 65))).toBe(toHex(bobPub));
    expect(toHex(e.subarray(65, 98))).toBe(toHex(publicKeyOf(alice)));
    const datalen = new DataView(e.buffer).getUint32(163, false);
    expect(datalen).toBe(e.length - ENVELOPE_HEADER_LENGTH);
    // The data is plain bitcore ECIES to the receiver: bsv decrypts it.
    const data = e.subarray(167);
    expect(
      utf8Decode(
        Uint8Array.from(bsv.Ecies.bitcoreDecrypt(Buffer.from(data), bsvKeyPair(bob).privKey)),
      ),
    ).toBe('meet at the usual place');
    // The signature is a Bitcoin Signed Message over SHA-256(label ‖ receiver ‖ data).
    const message = sha256(concatBytes(utf8Encode('datt-envelope-v1'), bobPub, data));
    const sig = Buffer.from(e.subarray(98, 163)).toString('base64');
    expect(
      bsv.Bsm.verify(Buffer.from(message), sig, bsv.Address.fromPubKey(bsvKeyPair(alice).pubKey)),
    ).toBe(true);
  });

  it('opens both inner forms and authenticates the sender', () => {
    for (const form of ['bitcore', 'electrum'] as const) {
      const e = sealEnvelope(plaintext, alice, bobPub, { form });
      const opened = openEnvelope(e, bob);
      expect(opened.form).toBe(form);
      expect(utf8Decode(opened.plaintext)).toBe('meet at the usual place');
      expect(toHex(opened.sender)).toBe(toHex(publicKeyOf(alice)));
      expect(toHex(verifyEnvelopeSender(e).sender)).toBe(toHex(publicKeyOf(alice)));
    }
  });

  it('refuses the wrong receiver, tampering and a third party re-signing the ciphertext', () => {
    const e = sealEnvelope(plaintext, alice, bobPub);
    expectThrowsCode(() => openEnvelope(e, mallory), DattError, 'WRONG_RECEIVER');
    const badMac = e.slice();
    badMac[0]! ^= 1;
    expectThrowsCode(() => openEnvelope(badMac, bob), DattError, 'BAD_MAC');
    const badData = e.slice();
    badData[e.length - 40]! ^= 1;
    expectThrowsCode(() => openEnvelope(badData, bob), DattError, 'KEY_MISMATCH');
    // Mallory strips Alice's signature and signs the same ciphertext as her own: the signature
    // checks out, but the MAC is keyed by a secret Mallory cannot derive.
    const d = decodeEnvelope(e);
    const sig = signCompact(
      bsmHash(sha256(concatBytes(utf8Encode('datt-envelope-v1'), bobPub, d.data))),
      mallory,
    );
    const forged = encodeEnvelope({ ...d, sender: publicKeyOf(mallory), sig });
    forged.set(d.mac, 0);
    expect(toHex(verifyEnvelopeSender(forged).sender)).toBe(toHex(publicKeyOf(mallory)));
    expectThrowsCode(() => openEnvelope(forged, bob), DattError, 'BAD_MAC');
    // The inner ciphertext still opens with plain bitcore ECIES (the envelope adds, never hides).
    expect(utf8Decode(bitcoreDecrypt(d.data, bob))).toBe('meet at the usual place');
  });

  it('checks datalen, trailing bytes and the size limit', () => {
    const e = sealEnvelope(plaintext, alice, bobPub);
    expectThrowsCode(
      () => decodeEnvelope(concatBytes(e, Uint8Array.of(0))),
      DattError,
      'TRAILING_BYTES',
    );
    expectThrowsCode(() => decodeEnvelope(e.subarray(0, e.length - 1)), DattError, 'TRUNCATED');
    expectThrowsCode(() => decodeEnvelope(e, { maxDataLength: 100 }), DattError, 'TOO_LARGE');
    const big = sealEnvelope(new Uint8Array(40_000), alice, bobPub);
    expectThrowsCode(() => openEnvelope(big, bob), DattError, 'TOO_LARGE');
    expect(openEnvelope(big, bob, { maxDataLength: 50_000 }).plaintext.length).toBe(40_000);
  });

  it('decodes arbitrary bytes to fields that re-encode identically, or a DattError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 240, maxLength: 300 }),
        fc.constantFrom(2, 0x42),
        (bytes, first) => {
          new DataView(bytes.buffer).setUint32(163, bytes.length - 167, false);
          bytes[167] = first;
          if (first === 0x42) bytes.set(utf8Encode('BIE1'), 167);
          const e = valueOrTypedError(() => decodeEnvelope(bytes), DattError);
          if (e) expect(toHex(encodeEnvelope(e))).toBe(toHex(bytes));
        },
      ),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        valueOrTypedError(() => decodeEnvelope(bytes), DattError);
      }),
    );
  });

  it('opens arbitrary envelopes to a DattError, never a stray exception', () => {
    const e = sealEnvelope(plaintext, alice, bobPub);
    fc.assert(
      fc.property(fc.nat({ max: e.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const t = e.slice();
        t[at]! ^= x;
        expect(() => openEnvelope(t, bob)).toThrow(DattError);
      }),
      { numRuns: 500 }, // signature recovery plus two ECDH a case
    );
  });
});
