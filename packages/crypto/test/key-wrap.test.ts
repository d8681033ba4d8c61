import { privateDecrypt } from 'node:crypto';
import { fromHex, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastBackend, generatePrivateKey, type KeyType, parsePublicKey } from '../src/index.js';
import { MAX_EPHEMERAL_KEY_LENGTH, unwrapKey, wrapKey } from '../src/key-wrap.js';
import { privateState, publicKeyOf } from '../src/keys.js';
import { BACKENDS, nodeKeyPair } from './helpers.js';

const messageKey = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');

describe.each(BACKENDS)('ECDH v0 key wrapping, %s', (_name, backend) => {
  it.each([
    ['P-256', 153, '3059301306072a8648ce3d020106082a8648ce3d030107034200'],
    ['P-384', 1 + 1 + 120 + 12 + 48, '3076301006072a8648ce3d020106052b81040022036200'],
    ['X25519', 106, '302a300506032b656e032100'],
    ['Ed25519', 106, '302a300506032b656e032100'], // the ephemeral key is X25519
  ] as const)('%s recipients: %i bytes, ephemeral PKIX %s…', async (type, size, prefix) => {
    const key = await generatePrivateKey(type as Exclude<KeyType, 'RSA'>, { backend });
    const data = await wrapKey(messageKey, publicKeyOf(key.publicKey), backend);
    expect(data.length).toBe(size);
    expect(data[0]).toBe(0);
    expect(toHex(data.subarray(2, 2 + prefix.length / 2))).toBe(prefix);
    for (const [, other] of BACKENDS) {
      expect(toHex((await unwrapKey(data, privateState(key), other))!)).toBe(toHex(messageKey));
    }
    // Another key of the same type cannot unwrap it.
    const stranger = await generatePrivateKey(type as Exclude<KeyType, 'RSA'>, { backend });
    expect(await unwrapKey(data, privateState(stranger), backend)).toBeNull();
  });

  it('RSA recipients get raw RSA-OAEP (SHA-256) ciphertext', async () => {
    const pair = nodeKeyPair('rsa', { modulusLength: 2048 });
    const pub = publicKeyOf(parsePublicKey(pair.pkix));
    const data = await wrapKey(messageKey, pub, backend);
    expect(data.length).toBe(256);
    const plain = privateDecrypt({ key: pair.privateKey, oaepHash: 'sha256' }, data);
    expect(toHex(plain)).toBe(toHex(messageKey));
  });

  it('unwrap returns null for damaged data instead of throwing', async () => {
    const key = await generatePrivateKey('X25519', { backend });
    const good = await wrapKey(messageKey, publicKeyOf(key.publicKey), backend);
    const state = privateState(key);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: good.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, x) => {
          const bad = good.slice();
          bad[at]! ^= x;
          const got = await unwrapKey(bad, state, backend);
          // X25519 ignores the top bit of a u-coordinate (RFC 7748): flipping only that bit of
          // the ephemeral key (the last of its 44 PKIX bytes, at offset 45) changes nothing.
          if (at === 45 && x === 0x80) expect(toHex(got!)).toBe(toHex(messageKey));
          else expect(got).toBeNull();
        },
      ),
      // One ECDH per case on each backend (@noble: milliseconds): 500 runs.
      { numRuns: 500 },
    );
    const topBit = good.slice();
    topBit[45]! ^= 0x80;
    expect(toHex((await unwrapKey(topBit, state, backend))!)).toBe(toHex(messageKey));
    expect(await unwrapKey(good.subarray(0, 50), state, backend)).toBeNull();
    expect(await unwrapKey(Uint8Array.of(1, ...good.subarray(1)), state, backend)).toBeNull();
    // A length above the limit is refused before anything is read.
    const huge = Uint8Array.of(0, 0x81, 0x80, 0x04); // uvarint 65537
    expect(MAX_EPHEMERAL_KEY_LENGTH).toBe(65536);
    expect(await unwrapKey(huge, state, backend)).toBeNull();
  });

  it('an ephemeral key on another curve is refused', async () => {
    const x = await generatePrivateKey('X25519', { backend });
    const p = await generatePrivateKey('P-256', { backend });
    const forP = await wrapKey(messageKey, publicKeyOf(p.publicKey), backend);
    expect(await unwrapKey(forP, privateState(x), backend)).toBeNull();
  });
});

it('random bytes never make unwrap throw', async () => {
  const key = await generatePrivateKey('P-256');
  const state = privateState(key);
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
      expect(await unwrapKey(bytes, state, fastBackend)).toBeNull();
    }),
  );
});
