import { fromHex, toHex } from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { expectRejectsCode } from '../../../tooling/test-helpers.js';
import { loadVectors } from '../../../tooling/vectors.js';
import {
  BottleFormat,
  CryptoError,
  generatePrivateKey,
  IDCard,
  Keychain,
  openBottle,
  openMessageBody,
  sealMessageBody,
  signedBy,
  signMessageBody,
} from '../src/index.js';
import { BACKENDS, keyOf, pkixOf, utf8 } from './helpers.js';

const cards = loadVectors<{ cases: { name: string; blob_hex: string }[] }>(
  'spot/idcards.json',
).cases;
const bottles = loadVectors<{ cases: { name: string; bottle_hex: string }[] }>(
  'spot/bottles.json',
).cases;
const cardOf = (name: string) =>
  IDCard.parseSigned(fromHex(cards.find((c) => c.name === name)!.blob_hex));
const NOW = 1_700_000_100;

describe.each(BACKENDS)('Spot message bodies, %s', (_name, backend) => {
  it('sealMessageBody builds sign(encrypt(payload)) in three layers, as spotlib does', async () => {
    const alice = await keyOf('alice', backend);
    const body = await sealMessageBody(utf8('hello'), {
      signer: alice,
      recipient: await cardOf('bob_p256'),
      now: NOW,
      backend,
    });
    // A "hello" body with P-256 keys is about 470 bytes (spot-crypto §9).
    expect(body.length).toBeGreaterThan(450);
    expect(body.length).toBeLessThan(490);
    const bob = new Keychain([await keyOf('bob', backend)]);
    for (const [, other] of BACKENDS) {
      const r = await openBottle(body, bob, { backend: other });
      expect(r.layers.map((l) => l.format)).toEqual([
        BottleFormat.CborBottle,
        BottleFormat.Aes,
        BottleFormat.ClearText,
      ]);
      expect(r.layers.map((l) => l.header?.size)).toEqual([0, 0, 0]);
      expect(r.layers[1]!.signatures).toBeNull();
      expect(r.layers[1]!.recipients!.map((x) => toHex(x.key))).toEqual([toHex(pkixOf('bob'))]);
      expect(r.signers.map((s) => [toHex(s.pkix), s.layer])).toEqual([[toHex(pkixOf('alice')), 0]]);
      expect(new TextDecoder().decode(r.payload)).toBe('hello');
      expect(signedBy(r, await cardOf('alice_p256'), NOW)).toBe(true);
      expect(signedBy(r, await cardOf('chloe_ed25519'), NOW)).toBe(false);
    }
  });

  it('sealMessageBody to explicit keys (an Ed25519 recipient is converted to X25519)', async () => {
    const chloe = await keyOf('chloe', backend);
    const body = await sealMessageBody(utf8('hi daniel'), {
      signer: chloe,
      recipient: [(await keyOf('daniel')).publicKey],
      backend,
    });
    const r = await openMessageBody(body, new Keychain([await keyOf('daniel', backend)]), {
      sender: await cardOf('chloe_ed25519'),
      now: NOW,
      backend,
    });
    expect(new TextDecoder().decode(r.payload)).toBe('hi daniel');
  });

  it('signMessageBody is the sign-only body for @/, c. and g. targets', async () => {
    const chloe = await keyOf('chloe', backend);
    const body = await signMessageBody(utf8('Hello from Chloe!'), chloe, { backend });
    expect(toHex(body)).toBe(bottles.find((b) => b.name === 'chloe_signed_cleartext')!.bottle_hex);
  });

  it('openMessageBody applies the Go receiver rules', async () => {
    const sender = await cardOf('chloe_ed25519');
    const daniel = new Keychain([await keyOf('daniel', backend)]);
    const vector = (n: string) => fromHex(bottles.find((b) => b.name === n)!.bottle_hex);
    const ok = await openMessageBody(vector('spot_body_chloe_to_daniel'), daniel, {
      sender,
      now: NOW,
      backend,
    });
    expect(ok.decryptions).toBe(1);
    // Sign-only bodies have no decryption: dropped unless the caller allows it.
    const signOnly = vector('chloe_signed_cleartext');
    await expectRejectsCode(
      () => openMessageBody(signOnly, daniel, { sender, now: NOW, backend }),
      CryptoError,
      'CANNOT_DECRYPT',
    );
    expect(
      (
        await openMessageBody(signOnly, daniel, {
          sender,
          now: NOW,
          requireEncryption: false,
          backend,
        })
      ).decryptions,
    ).toBe(0);
    // Signed by someone else than the claimed sender.
    const alice = await cardOf('alice_p256');
    await expectRejectsCode(
      () =>
        openMessageBody(vector('spot_body_chloe_to_daniel'), daniel, {
          sender: alice,
          now: NOW,
          backend,
        }),
      CryptoError,
      'BAD_SIGNATURE',
    );
  });

  it('refuses to seal to a card without a usable decrypt key', async () => {
    const signer = await generatePrivateKey('Ed25519', { backend });
    await expectRejectsCode(
      async () =>
        sealMessageBody(utf8('x'), { signer, recipient: await cardOf('daniel_ed25519'), backend }),
      CryptoError,
      'NO_RECIPIENTS',
    );
  });
});
