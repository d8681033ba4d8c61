import { describe, expect, it } from 'vitest';
import { deriveSessionKeys, kxKeyPair, kxRole } from '../src/index.js';
import { filled } from './helpers.js';

describe('crypto_kx roles (upstream: crypto_kx_client_session_keys when peerId < ownId)', () => {
  const low = Uint8Array.of(0xfc, 0x94, ...new Array(14).fill(0x01));
  const high = Uint8Array.of(0xfc, 0x94, ...new Array(13).fill(0x01), 0x02);
  const unsignedHigh = Uint8Array.of(0xfc, 0x94, 0x80, ...new Array(13).fill(0));

  it('the device with the larger id (bytewise, unsigned) is the client', () => {
    expect(kxRole(high, low)).toBe('client');
    expect(kxRole(low, high)).toBe('server');
    expect(kxRole(unsignedHigh, low)).toBe('client'); // 0x80 > 0x01: unsigned bytes
  });

  it('the two roles derive matching keys', () => {
    const a = kxKeyPair(() => filled(32, 1));
    const b = kxKeyPair(() => filled(32, 2));
    const ka = deriveSessionKeys(low, high, a, b.publicKey);
    const kb = deriveSessionKeys(high, low, b, a.publicKey);
    expect(ka.tx).toEqual(kb.rx);
    expect(ka.rx).toEqual(kb.tx);
    expect(ka.tx).not.toEqual(ka.rx);
  });
});
