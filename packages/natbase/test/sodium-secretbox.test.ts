import fc from 'fast-check';
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { NatbaseError, nobleSecretbox, SecureLayer, type SecureOutput } from '../src/index.js';
import { opensslEd25519Verify, sodiumSecretbox } from '../src/node/index.js';
import { cat, seededRandom, testIdentity } from './helpers.js';

beforeAll(async () => {
  await sodium.ready;
});

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const nonce24 = fc.uint8Array({ minLength: 24, maxLength: 24 });

describe('the sodium-native secretbox backend (@peerwire/natbase/node)', () => {
  it('seals the same bytes as libsodium-wrappers and the noble backend, and opens all of them', () => {
    fc.assert(
      fc.property(key32, nonce24, fc.uint8Array({ maxLength: 2000 }), (key, nonce, payload) => {
        const packet = sodiumSecretbox.sealData(key, nonce, payload);
        expect(packet).toEqual(nobleSecretbox.sealData(key, nonce, payload));
        expect(packet).toEqual(
          cat(
            [0],
            nonce,
            sodium.crypto_secretbox_easy(cat(new Uint8Array(8), payload), nonce, key),
          ),
        );
        expect(sodiumSecretbox.openData(key, packet)).toEqual(payload);
        expect(nobleSecretbox.openData(key, packet)).toEqual(payload);
      }),
      { numRuns: 500 },
    );
  });

  it('a flipped bit is BAD_MAC; short packets BAD_LENGTH', () => {
    fc.assert(
      fc.property(
        key32,
        nonce24,
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.nat(),
        (key, nonce, payload, at) => {
          const packet = sodiumSecretbox.sealData(key, nonce, payload).slice();
          packet[1 + (at % (packet.length - 1))]! ^= 1 << (at % 8);
          try {
            sodiumSecretbox.openData(key, packet);
            throw new Error('opened a forged packet');
          } catch (e) {
            expect(e).toBeInstanceOf(NatbaseError);
            expect((e as NatbaseError).code).toBe('BAD_MAC');
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(() => sodiumSecretbox.openData(new Uint8Array(32), new Uint8Array(48))).toThrow(
      NatbaseError,
    );
  });

  it('a SecureLayer on sodium-native (and OpenSSL Ed25519) talks to one on noble', () => {
    const a = testIdentity(1);
    const b = testIdentity(2);
    const A = new SecureLayer({
      identity: a,
      random: seededRandom(1),
      now: () => 0,
      secretbox: sodiumSecretbox,
      verify: opensslEd25519Verify(),
    });
    const B = new SecureLayer({ identity: b, random: seededRandom(2), now: () => 0 });
    const pkt = (o: SecureOutput[], i = 0) =>
      (o.filter((x) => x.type === 'send')[i] as { packet: Uint8Array }).packet;
    const h2 = B.receive(a.deviceId, pkt(A.send(b.deviceId, Uint8Array.of(1, 2, 3))));
    const fin = A.receive(b.deviceId, pkt(h2));
    B.receive(a.deviceId, pkt(fin, 0));
    expect(B.receive(a.deviceId, pkt(fin, 1))).toEqual([
      { type: 'deliver', peer: a.deviceId, payload: Uint8Array.of(1, 2, 3) },
    ]);
    expect(A.receive(b.deviceId, pkt(B.send(a.deviceId, Uint8Array.of(4))))).toEqual([
      { type: 'deliver', peer: b.deviceId, payload: Uint8Array.of(4) },
    ]);
  });
});
