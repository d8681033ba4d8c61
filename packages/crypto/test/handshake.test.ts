import {
  type DecodedHandshakeRequest,
  decodeHandshakeRequest,
  decodeHandshakeResponse,
  encodeHandshakeResponse,
  fromHex,
  toHex,
} from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { expectRejectsCode } from '../../../tooling/test-helpers.js';
import { loadVectors } from '../../../tooling/vectors.js';
import {
  CryptoError,
  generatePrivateKey,
  IDCard,
  signHandshake,
  verify,
  verifyHandshake,
  verifyHandshakeSignature,
} from '../src/index.js';
import { BACKENDS, type KeyName, keyOf } from './helpers.js';

interface HandshakeCase {
  name: string;
  compare?: string;
  packet_hex?: string;
  payload_cbor_hex?: string;
  request_payload_cbor_hex?: string;
  signed_bytes_hex?: string;
  signer?: KeyName;
  response_packet_hex?: string;
  decoded?: { id?: string | null; key_hex?: string; sig_hex?: string };
  expected?: { result: string };
}

const { cases } = loadVectors<{ cases: HandshakeCase[] }>('spot/handshake.json');
const requests = cases.filter((c) => c.name.startsWith('request_'));
const responses = cases.filter((c) => c.name.startsWith('response_'));
const negatives = cases.filter((c) => c.name.startsWith('neg_'));
const NOW = 1_700_000_100;

/** What each negative case must be rejected with. */
const NEGATIVE_CODES: Record<string, string> = {
  neg_signature_over_reencoded_request: 'BAD_SIGNATURE',
  neg_key_not_in_idcard: 'HANDSHAKE_KEY_NOT_IN_CARD',
};

function request(hex: string): DecodedHandshakeRequest {
  return decodeHandshakeRequest(fromHex(`01${hex}`));
}

describe('handshake.json vectors', () => {
  it('covers every case in the file', () => {
    expect(requests.length + responses.length + negatives.length).toBe(cases.length);
    expect(Object.keys(NEGATIVE_CODES).sort()).toEqual(negatives.map((c) => c.name).sort());
    expect(responses.length).toBeGreaterThanOrEqual(7);
  });

  describe.each(BACKENDS)('%s', (_name, backend) => {
    it.each(responses.map((c) => [c.name, c] as const))(
      '%s: verifies as a relay checks it',
      async (_n, c) => {
        const raw = fromHex(c.request_payload_cbor_hex!);
        const response = decodeHandshakeResponse(fromHex(c.response_packet_hex!));
        await verifyHandshakeSignature(raw, response, { backend });
        if (response.id === null) {
          // spot-relay §3.2 step 4: the relay requires a signed ID card.
          await expectRejectsCode(
            () => verifyHandshake(raw, response, { backend, now: NOW }),
            CryptoError,
            'MISSING_IDCARD',
          );
          return;
        }
        const { card, hash } = await verifyHandshake(raw, response, {
          backend,
          now: NOW,
          cache: false,
        });
        expect(`k.${hash}`).toBe(card.address);
        expect(toHex(card.self)).toBe(toHex((await IDCard.parseSigned(response.id)).self));
      },
    );

    it.each(responses.map((c) => [c.name, c] as const))(
      '%s: signHandshake reproduces it',
      async (_n, c) => {
        const key = await keyOf(c.signer!, backend);
        const req = request(c.request_payload_cbor_hex!);
        const id = c.decoded!.id === null ? null : fromHex(c.decoded!.id!);
        const response = await signHandshake(req, key, id, { backend });
        if (c.compare!.startsWith('bytes')) {
          expect(toHex(encodeHandshakeResponse(response))).toBe(c.response_packet_hex);
        } else {
          expect(response.sig[0]).toBe(0x30); // ECDSA: DER, randomized; verify instead
          expect(toHex(response.key)).toBe(c.decoded!.key_hex);
          await verifyHandshake(req.raw, response, { backend, now: NOW });
        }
      },
    );

    it.each(negatives.map((c) => [c.name, c] as const))(
      '%s: rejected with the right code',
      async (_n, c) => {
        const raw = fromHex(c.request_payload_cbor_hex!);
        const response = decodeHandshakeResponse(fromHex(c.response_packet_hex!));
        await expectRejectsCode(
          () => verifyHandshake(raw, response, { backend, now: NOW, cache: false }),
          CryptoError,
          NEGATIVE_CODES[c.name]!,
        );
        if (c.signed_bytes_hex) {
          // The client signed a re-encoding: valid over those bytes, not over the bytes sent.
          expect(
            await verify(response.key, fromHex(c.signed_bytes_hex), response.sig, { backend }),
          ).toBe(true);
        }
      },
    );
  });

  it.each(requests.map((c) => [c.name, c] as const))(
    '%s: signatures cover the raw payload as received',
    async (_n, c) => {
      const req = request(c.payload_cbor_hex!);
      expect(toHex(req.raw)).toBe(c.payload_cbor_hex);
      expect(c.packet_hex).toBe(`01${c.payload_cbor_hex}`);
      const chloe = await keyOf('chloe');
      const card = await IDCard.create(chloe.publicKey, { now: 1 }).sign(chloe);
      const response = await signHandshake(req, chloe, card);
      const { hash } = await verifyHandshake(req.raw, response);
      expect(`k.${hash}`).toBe('k.ut2dAJ3hFEKkWUwpAZaEhuRr51VDtAgHKURtEnPGLsM');
      // Any other byte string fails.
      const other = req.raw.slice();
      other[other.length - 1]! ^= 1;
      await expectRejectsCode(() => verifyHandshake(other, response), CryptoError, 'BAD_SIGNATURE');
    },
  );
});

describe('verifyHandshake rules', () => {
  const raw = fromHex(requests[0]!.payload_cbor_hex!);

  it('accepts a sign subkey of the card, refuses expired or revoked ones', async () => {
    const chloe = await keyOf('chloe');
    const session = await generatePrivateKey('P-256');
    const card = IDCard.create(chloe.publicKey, { now: 100 }).addKey(session.publicKey, ['sign'], {
      issued: 100,
      expires: 1000,
    });
    const blob = await card.sign(chloe);
    const response = await signHandshake({ raw }, session, blob);
    expect((await verifyHandshake(raw, response, { now: 999 })).hash).toBe(card.hash);
    await expectRejectsCode(
      () => verifyHandshake(raw, response, { now: 1000 }),
      CryptoError,
      'HANDSHAKE_KEY_NOT_IN_CARD',
    );
    card.addKey(session.publicKey, ['decrypt'], { expires: null });
    const decryptOnly = await signHandshake({ raw }, session, await card.sign(chloe));
    await expectRejectsCode(
      () => verifyHandshake(raw, decryptOnly, { now: 999 }),
      CryptoError,
      'HANDSHAKE_KEY_NOT_IN_CARD',
    );
    card.addKey(session.publicKey, ['sign']).revokeKey(session.publicKey);
    const revoked = await signHandshake({ raw }, session, await card.sign(chloe));
    await expectRejectsCode(
      () => verifyHandshake(raw, revoked, { now: 999 }),
      CryptoError,
      'HANDSHAKE_KEY_NOT_IN_CARD',
    );
  });

  it('refuses unacceptable keys and missing cards with precise codes', async () => {
    const x = await generatePrivateKey('X25519');
    await expectRejectsCode(
      () => verifyHandshake(raw, { id: null, key: x.publicKey.pkix, sig: new Uint8Array(64) }),
      CryptoError,
      'UNSUPPORTED_KEY',
    );
    await expectRejectsCode(
      () => verifyHandshake(raw, { id: null, key: new Uint8Array(0), sig: new Uint8Array(64) }),
      CryptoError,
      'BAD_KEY',
    );
    const ed = await generatePrivateKey('Ed25519');
    const noCard = await signHandshake({ raw }, ed, null);
    await expectRejectsCode(() => verifyHandshake(raw, noCard), CryptoError, 'MISSING_IDCARD');
    await expectRejectsCode(() => signHandshake({ raw }, x, null), CryptoError, 'UNSUPPORTED_KEY');
    await expectRejectsCode(
      async () =>
        verifyHandshake(raw, await signHandshake({ raw }, ed, null), { keyTypes: ['P-256'] }),
      CryptoError,
      'UNSUPPORTED_KEY',
    );
  });
});
