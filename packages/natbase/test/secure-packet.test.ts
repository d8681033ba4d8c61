import { describe, expect, it } from 'vitest';
import {
  decodeSecurePacket,
  encodeSecurePacket,
  SECURE_HELLO_LENGTH,
  type SecureHello,
  signSecureHello,
  verifySecureHello,
} from '../src/index.js';
import {
  cat,
  expectCode,
  filled,
  opensslSign,
  opensslVerify,
  roundTripOrTypedError,
  sizedBytes,
  te,
  testIdentity,
  u64le,
} from './helpers.js';

const a = testIdentity(1);
const b = testIdentity(2);
const kx = filled(32, 0x11);
const ctx = te.encode('ng-kx-pubkey\n');

describe('secure HELLO (spec §11)', () => {
  for (const step of [1, 2, 3] as const) {
    it(`type ${step}: idPubkey ‖ kxPubkey ‖ yourDeviceId ‖ myHelloseq ‖ yourHelloseq ‖ flags (u64 LE) ‖ sig over the first 105 bytes, 169 bytes`, () => {
      const fields = {
        step,
        kxPublicKey: kx,
        yourDeviceId: b.deviceId,
        myHelloseq: 0xaabbccdd00000001n,
        yourHelloseq: step === 1 ? 0n : 0x1122334400000000n,
        flags: 1n,
      };
      const first105 = cat(
        [step],
        a.publicKey,
        kx,
        b.deviceId,
        u64le(fields.myHelloseq),
        u64le(fields.yourHelloseq),
        u64le(1n),
      );
      expect(first105.length).toBe(105);
      const expected = cat(first105, opensslSign(cat(ctx, first105), a));
      const hello = signSecureHello(fields, a);
      const bytes = encodeSecurePacket(hello);
      expect(bytes.length).toBe(SECURE_HELLO_LENGTH);
      expect(bytes).toEqual(expected);
      expect(
        opensslVerify(cat(ctx, bytes.subarray(0, 105)), bytes.subarray(105), a.publicKey),
      ).toBe(true);
      const decoded = decodeSecurePacket(bytes) as SecureHello;
      expect(decoded).toEqual(hello);
      verifySecureHello(decoded, a.deviceId, b.deviceId);
    });
  }

  it('verification order: recipient, identity → device id (proof of work), signature', () => {
    const h = signSecureHello(
      {
        step: 1,
        kxPublicKey: kx,
        yourDeviceId: b.deviceId,
        myHelloseq: 1n,
        yourHelloseq: 0n,
        flags: 1n,
      },
      a,
    );
    expectCode(() => verifySecureHello(h, a.deviceId, a.deviceId), 'UNEXPECTED_HELLO');
    expectCode(() => verifySecureHello(h, b.deviceId, b.deviceId), 'BAD_DEVICE_ID');
    expectCode(
      () => verifySecureHello({ ...h, flags: 3n }, a.deviceId, b.deviceId),
      'BAD_SIGNATURE',
    );
    expectCode(
      () => verifySecureHello({ ...h, kxPublicKey: filled(32, 0x12) }, a.deviceId, b.deviceId),
      'BAD_SIGNATURE',
    );
    // The same bytes signed under the P2P context are refused.
    const first105 = encodeSecurePacket(h).subarray(0, 105);
    const p2p = opensslSign(cat(te.encode('ng-p2p-msg\n'), first105), a);
    expectCode(
      () => verifySecureHello({ ...h, signature: p2p }, a.deviceId, b.deviceId),
      'BAD_SIGNATURE',
    );
  });
});

describe('secure DATA and heartbeats: layouts and strict lengths', () => {
  it('DATA: 00 ‖ nonce(24) ‖ box(≥ 24)', () => {
    const bytes = cat([0], filled(24, 1), filled(30, 2));
    expect(decodeSecurePacket(bytes)).toEqual({
      kind: 'DATA',
      nonce: filled(24, 1),
      box: filled(30, 2),
    });
    expect(encodeSecurePacket({ kind: 'DATA', nonce: filled(24, 1), box: filled(30, 2) })).toEqual(
      bytes,
    );
    expectCode(() => decodeSecurePacket(new Uint8Array(48)), 'BAD_LENGTH');
  });
  it('heartbeat 4 / reply 5: type ‖ ident(8), 9 bytes', () => {
    expect(decodeSecurePacket(cat([4], filled(8, 9)))).toEqual({
      kind: 'HEARTBEAT',
      ident: filled(8, 9),
    });
    expect(encodeSecurePacket({ kind: 'HEARTBEAT_REPLY', ident: filled(8, 9) })).toEqual(
      cat([5], filled(8, 9)),
    );
    for (const n of [1, 8, 10])
      expectCode(() => decodeSecurePacket(cat([4], new Uint8Array(n - 1))), 'BAD_LENGTH');
  });
  it('HELLO of another length, unknown types, empty input', () => {
    for (const n of [25, 161, 168, 170])
      expectCode(() => decodeSecurePacket(cat([2], new Uint8Array(n - 1))), 'BAD_LENGTH');
    for (const t of [6, 7, 0xff])
      expectCode(() => decodeSecurePacket(Uint8Array.of(t)), 'UNKNOWN_KIND');
    expectCode(() => decodeSecurePacket(new Uint8Array(0)), 'EMPTY_MESSAGE');
  });
  it('fast-check: arbitrary bytes re-encode identically or give a NatbaseError', () => {
    roundTripOrTypedError(
      sizedBytes([0, 1, 2, 3, 4, 5, 6], [169, 49, 9, 60]),
      decodeSecurePacket,
      encodeSecurePacket,
    );
  });
});
