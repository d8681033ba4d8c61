// Device keys for the base-server benches: 32 random bytes whose SHA-256 meets the §4 proof of
// work (found with SHA-256 alone, about 1 in 1300), with the fc94 device id they give. They are
// not Ed25519 keys: the benches inject an always-true signature check, so that 10,000 devices do
// not need 13 million Ed25519 key generations; every other check of the base runs.
import { hash, randomBytes } from 'node:crypto';

export interface FakeIdentity {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly deviceId: Uint8Array;
}

export function fakeIdentities(count: number): FakeIdentity[] {
  const pool = new Uint8Array(32 * 4096);
  let at = pool.length;
  const one = (): FakeIdentity => {
    for (;;) {
      if (at + 32 > pool.length) {
        pool.set(randomBytes(pool.length));
        at = 0;
      }
      const publicKey = pool.slice(at, at + 32);
      at += 32;
      const h = hash('sha256', publicKey, 'buffer') as Buffer;
      if (h[0] !== 0 || h[1]! >= 50) continue;
      const deviceId = new Uint8Array(16);
      deviceId.set([0xfc, 0x94]);
      deviceId.set(h.subarray(3, 17), 2);
      return { secretKey: new Uint8Array(randomBytes(32)), publicKey, deviceId };
    }
  };
  return Array.from({ length: count }, one);
}
