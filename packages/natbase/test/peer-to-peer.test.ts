import { describe, expect, it } from 'vitest';
import {
  decodePeerToPeer,
  encodePeerToPeer,
  PEER_HELLO_LENGTH,
  type PeerHelloMessage,
  signPeerHello,
  verifyPeerHello,
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
} from './helpers.js';

const a = testIdentity(1);
const b = testIdentity(2);
const cookie = filled(16, 0x5a);
const ctx = te.encode('ng-p2p-msg\n');

describe('peer ↔ peer HELLO / HELLO_REPLY (spec §9)', () => {
  for (const [kind, byte] of [
    ['HELLO', 0],
    ['HELLO_REPLY', 1],
  ] as const) {
    it(`${kind}: ${byte} ‖ senderId ‖ senderPubkey ‖ yourId ‖ helloCookie ‖ sig over "ng-p2p-msg\\n" ‖ first 81 bytes, 145 bytes`, () => {
      const first81 = cat([byte], a.deviceId, a.publicKey, b.deviceId, cookie);
      expect(first81.length).toBe(81);
      const expected = cat(first81, opensslSign(cat(ctx, first81), a));
      const m = signPeerHello(kind, a, b.deviceId, cookie);
      const bytes = encodePeerToPeer(m);
      expect(bytes.length).toBe(PEER_HELLO_LENGTH);
      expect(bytes).toEqual(expected);
      expect(opensslVerify(cat(ctx, bytes.subarray(0, 81)), bytes.subarray(81), a.publicKey)).toBe(
        true,
      );
      const decoded = decodePeerToPeer(bytes) as PeerHelloMessage;
      expect(decoded).toEqual(m);
      verifyPeerHello(decoded, b.deviceId);
    });
  }

  it('verification: wrong recipient, forged id, bad signature, wrong context', () => {
    const m = signPeerHello('HELLO', a, b.deviceId, cookie);
    expectCode(() => verifyPeerHello(m, a.deviceId), 'UNEXPECTED_HELLO');
    expectCode(() => verifyPeerHello({ ...m, senderId: b.deviceId }, b.deviceId), 'BAD_DEVICE_ID');
    expectCode(
      () =>
        verifyPeerHello({ ...m, senderPublicKey: b.publicKey, senderId: b.deviceId }, b.deviceId),
      'BAD_SIGNATURE',
    );
    expectCode(
      () => verifyPeerHello({ ...m, helloCookie: filled(16, 1) }, b.deviceId),
      'BAD_SIGNATURE',
    );
    const first81 = encodePeerToPeer(m).subarray(0, 81);
    const p2b = opensslSign(cat(te.encode('ng-p2b-msg\n'), first81), a);
    expectCode(() => verifyPeerHello({ ...m, signature: p2b }, b.deviceId), 'BAD_SIGNATURE');
  });

  it('DATA: 02 ‖ payload, no ids', () => {
    const payload = Uint8Array.of(0, 1, 2);
    expect(encodePeerToPeer({ kind: 'DATA', payload })).toEqual(Uint8Array.of(2, 0, 1, 2));
    expect(decodePeerToPeer(Uint8Array.of(2, 0, 1, 2))).toEqual({ kind: 'DATA', payload });
    expectCode(() => decodePeerToPeer(Uint8Array.of(2)), 'BAD_LENGTH');
  });

  it('strict lengths and kinds', () => {
    for (const n of [1, 81, 144, 146, 169])
      expectCode(() => decodePeerToPeer(cat([0], new Uint8Array(n - 1))), 'BAD_LENGTH');
    for (const k of [3, 4, 0xff])
      expectCode(() => decodePeerToPeer(Uint8Array.of(k, 0)), 'UNKNOWN_KIND');
    expectCode(() => decodePeerToPeer(new Uint8Array(0)), 'EMPTY_MESSAGE');
    expectCode(() => signPeerHello('HELLO', a, b.deviceId, new Uint8Array(8)), 'BAD_VALUE');
  });

  it('fast-check: arbitrary bytes re-encode identically or give a NatbaseError', () => {
    roundTripOrTypedError(sizedBytes([0, 1, 2, 3], [145, 2]), decodePeerToPeer, encodePeerToPeer);
  });
});
