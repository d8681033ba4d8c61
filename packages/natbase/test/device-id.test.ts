import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deviceIdOf,
  formatDeviceId,
  generateIdentity,
  identityFromSecretKey,
  isBadDeviceId,
  meetsProofOfWork,
  parseDeviceId,
  verifyDeviceId,
} from '../src/index.js';
import { expectCode, seededRandom, testIdentity } from './helpers.js';

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

describe('device ids and the proof of work (spec §4)', () => {
  it('a generated identity meets h[0] == 0 && h[1] < 50, and its id is fc94 ‖ h[3..16]', () => {
    for (const seed of [1, 2, 3]) {
      const id = testIdentity(seed);
      const h = sha(id.publicKey);
      expect(h[0]).toBe(0);
      expect(h[1]).toBeLessThan(50);
      expect([...id.deviceId]).toEqual([0xfc, 0x94, ...h.subarray(3, 17)]);
      expect(id.deviceId.length).toBe(16);
      expect(formatDeviceId(id.deviceId).startsWith('fc94:')).toBe(true);
      expect(parseDeviceId(formatDeviceId(id.deviceId))).toEqual(id.deviceId);
      verifyDeviceId(id.deviceId, id.publicKey);
      expect(identityFromSecretKey(id.secretKey)).toEqual(id);
    }
  });

  it('fast-check: for any 32 bytes, the rule and the id agree with SHA-256 done by node:crypto', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.boolean(),
        (pk, forceZero) => {
          const h = sha(pk);
          const ok = h[0] === 0 && h[1]! < 50;
          expect(meetsProofOfWork(pk)).toBe(ok);
          const id = deviceIdOf(pk);
          if (ok) expect([...id]).toEqual([0xfc, 0x94, ...h.subarray(3, 17)]);
          else {
            expect(isBadDeviceId(id)).toBe(true);
            expectCode(
              () =>
                verifyDeviceId(
                  forceZero ? id : Uint8Array.of(0xfc, 0x94, ...h.subarray(3, 17)),
                  pk,
                ),
              'BAD_DEVICE_ID',
            );
          }
        },
      ),
    );
  });

  it('keys just outside the rule (h[1] == 50, h[0] != 0) get the all-zero BadDeviceId', () => {
    // Search a few seeded keys for the boundary cases (h[0]==0 but h[1] >= 50).
    const random = seededRandom(99);
    let boundary = 0;
    for (let i = 0; i < 20000 && boundary < 2; i++) {
      const pk = random(32);
      const h = sha(pk);
      if (h[0] === 0 && h[1]! >= 50) {
        boundary++;
        expect(meetsProofOfWork(pk)).toBe(false);
        expect(isBadDeviceId(deviceIdOf(pk))).toBe(true);
      }
    }
    expect(boundary).toBe(2);
  });

  it('identityFromSecretKey refuses a key that fails the rule; generation gives up when told', () => {
    expectCode(() => identityFromSecretKey(new Uint8Array(32).fill(9)), 'BAD_DEVICE_ID');
    expectCode(() => identityFromSecretKey(new Uint8Array(31)), 'BAD_KEY');
    expectCode(() => generateIdentity(seededRandom(5), 3), 'GENERATION_FAILED');
    expectCode(() => deviceIdOf(new Uint8Array(33)), 'BAD_KEY');
  });

  it('a device id of another key, or of the right key but altered, is BAD_DEVICE_ID', () => {
    const a = testIdentity(1);
    const b = testIdentity(2);
    expectCode(() => verifyDeviceId(b.deviceId, a.publicKey), 'BAD_DEVICE_ID');
    const altered = a.deviceId.slice();
    altered[15]! ^= 1;
    expectCode(() => verifyDeviceId(altered, a.publicKey), 'BAD_DEVICE_ID');
    expectCode(() => parseDeviceId('fd00::1'), 'BAD_ADDRESS');
  });
});
