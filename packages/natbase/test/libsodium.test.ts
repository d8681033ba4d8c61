// The secure layer's primitives against libsodium's own outputs (libsodium-wrappers), both
// directions, random inputs.
import fc from 'fast-check';
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  kxClientSessionKeys,
  kxKeyPair,
  kxServerSessionKeys,
  NatbaseError,
  openData,
  sealData,
} from '../src/index.js';
import { cat } from './helpers.js';

beforeAll(async () => {
  await sodium.ready;
});

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const fixed = (bytes: Uint8Array) => () => bytes;

describe('crypto_kx against libsodium', () => {
  it('public keys: noble X25519 of a seed = libsodium crypto_scalarmult_base', () => {
    fc.assert(
      fc.property(key32, (sk) => {
        expect(kxKeyPair(fixed(sk)).publicKey).toEqual(sodium.crypto_scalarmult_base(sk));
      }),
      { numRuns: 300 },
    );
  });

  it('client and server session keys equal libsodium crypto_kx_{client,server}_session_keys', () => {
    fc.assert(
      fc.property(key32, key32, (csk, ssk) => {
        const client = kxKeyPair(fixed(csk));
        const server = kxKeyPair(fixed(ssk));
        const ours = {
          c: kxClientSessionKeys(client, server.publicKey),
          s: kxServerSessionKeys(server, client.publicKey),
        };
        const theirs = {
          c: sodium.crypto_kx_client_session_keys(
            client.publicKey,
            client.secretKey,
            server.publicKey,
          ),
          s: sodium.crypto_kx_server_session_keys(
            server.publicKey,
            server.secretKey,
            client.publicKey,
          ),
        };
        expect(ours.c.rx).toEqual(theirs.c.sharedRx);
        expect(ours.c.tx).toEqual(theirs.c.sharedTx);
        expect(ours.s.rx).toEqual(theirs.s.sharedRx);
        expect(ours.s.tx).toEqual(theirs.s.sharedTx);
        // And across: what one side sends with, the other receives with.
        expect(ours.c.tx).toEqual(theirs.s.sharedRx);
        expect(theirs.c.sharedTx).toEqual(ours.s.rx);
      }),
      { numRuns: 300 },
    );
  });

  it('libsodium key pairs work with ours', () => {
    for (let i = 0; i < 20; i++) {
      const c = sodium.crypto_kx_keypair();
      const s = sodium.crypto_kx_keypair();
      const ours = kxServerSessionKeys(
        { publicKey: s.publicKey, secretKey: s.privateKey },
        c.publicKey,
      );
      const theirs = sodium.crypto_kx_client_session_keys(c.publicKey, c.privateKey, s.publicKey);
      expect(ours.tx).toEqual(theirs.sharedRx);
      expect(ours.rx).toEqual(theirs.sharedTx);
    }
  });

  it('a low-order peer key is BAD_KEY (libsodium refuses it too)', () => {
    const me = kxKeyPair(fixed(new Uint8Array(32).fill(7)));
    const zero = new Uint8Array(32);
    expect(() => sodium.crypto_kx_client_session_keys(me.publicKey, me.secretKey, zero)).toThrow();
    try {
      kxClientSessionKeys(me, zero);
      throw new Error('no error');
    } catch (e) {
      expect((e as NatbaseError).code).toBe('BAD_KEY');
    }
  });
});

describe('crypto_secretbox against libsodium', () => {
  const payloads = fc.uint8Array({ maxLength: 2000 });
  const nonce24 = fc.uint8Array({ minLength: 24, maxLength: 24 });

  it('sealData = 00 ‖ nonce ‖ crypto_secretbox_easy(seq(0) ‖ payload)', () => {
    fc.assert(
      fc.property(key32, nonce24, payloads, (key, nonce, payload) => {
        const packet = sealData(key, nonce, payload);
        expect(packet[0]).toBe(0);
        expect(packet.subarray(1, 25)).toEqual(nonce);
        const box = sodium.crypto_secretbox_easy(cat(new Uint8Array(8), payload), nonce, key);
        expect(packet.subarray(25)).toEqual(box);
        expect(packet.length).toBe(49 + payload.length);
      }),
      { numRuns: 500 },
    );
  });

  it('openData opens what libsodium sealed, and libsodium opens what sealData sealed', () => {
    fc.assert(
      fc.property(key32, nonce24, payloads, (key, nonce, payload) => {
        const box = sodium.crypto_secretbox_easy(cat(new Uint8Array(8), payload), nonce, key);
        expect(openData(key, cat([0], nonce, box))).toEqual(payload);
        const packet = sealData(key, nonce, payload);
        const clear = sodium.crypto_secretbox_open_easy(
          packet.subarray(25),
          packet.subarray(1, 25),
          key,
        );
        expect(clear).toEqual(cat(new Uint8Array(8), payload));
      }),
      { numRuns: 500 },
    );
  });

  it('any flipped bit, or the wrong key, is BAD_MAC (as libsodium refuses it)', () => {
    fc.assert(
      fc.property(
        key32,
        nonce24,
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.nat(),
        (key, nonce, payload, at) => {
          const packet = sealData(key, nonce, payload).slice();
          const i = 1 + (at % (packet.length - 1));
          packet[i]! ^= 1 << (at % 8);
          expect(() =>
            sodium.crypto_secretbox_open_easy(packet.subarray(25), packet.subarray(1, 25), key),
          ).toThrow();
          try {
            openData(key, packet);
            throw new Error('opened a forged packet');
          } catch (e) {
            expect(e).toBeInstanceOf(NatbaseError);
            expect((e as NatbaseError).code).toBe('BAD_MAC');
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
