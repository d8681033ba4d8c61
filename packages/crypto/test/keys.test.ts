import { createHash, sign as nodeSign } from 'node:crypto';
import { fromBase64Url, fromHex, toHex } from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { expectRejectsCode, expectThrowsCode } from '../../../tooling/test-helpers.js';
import { loadVectors } from '../../../tooling/vectors.js';
import {
  CryptoError,
  canDecrypt,
  canSign,
  configureKeyCache,
  DEFAULT_KEY_CACHE_SIZE,
  exportPrivateKey,
  generatePrivateKey,
  importPrivateKey,
  keyAddress,
  parsePublicKey,
  sign,
  verify,
} from '../src/index.js';
import { montgomeryPrivate, montgomeryPublic, privateState, publicKeyOf } from '../src/keys.js';
import { BACKENDS, nodeKeyPair, utf8 } from './helpers.js';

interface KeyCase {
  name: string;
  type: string;
  private_key_published_base64url?: string;
  private_key_published_der_hex?: string;
  private_key_pkcs8_der_hex: string;
  public_pkix_der_hex: string;
  public_pkix_sha256_hex: string;
  address: string;
  x25519_form?: {
    private_scalar_hex: string;
    public_pkix_der_hex: string;
    private_pkcs8_der_hex: string;
  };
}

const { cases } = loadVectors<{ cases: KeyCase[] }>('spot/keys.json');

describe('keys.json vectors', () => {
  it('covers every case in the file', () => {
    expect(cases.map((c) => c.name)).toEqual(['alice', 'bob', 'chloe', 'daniel', 'xena']);
  });

  describe.each(BACKENDS)('%s', (_name, backend) => {
    it.each(cases.map((c) => [c.name, c] as const))(
      '%s: every published form imports to the same key',
      async (_n, c) => {
        const forms = [fromHex(c.private_key_pkcs8_der_hex)];
        if (c.private_key_published_der_hex) forms.push(fromHex(c.private_key_published_der_hex));
        if (c.private_key_published_base64url) {
          const der = fromBase64Url(c.private_key_published_base64url);
          expect(toHex(der)).toBe(c.private_key_published_der_hex);
          forms.push(der);
        }
        for (const der of forms) {
          const key = await importPrivateKey(der, { backend });
          expect(key.type).toBe(c.type);
          expect(toHex(key.publicKey.pkix)).toBe(c.public_pkix_der_hex);
          expect(createHash('sha256').update(key.publicKey.pkix).digest('hex')).toBe(
            c.public_pkix_sha256_hex,
          );
          expect(keyAddress(key.publicKey)).toBe(c.address);
          expect(keyAddress(key.publicKey.pkix)).toBe(c.address);
          // Export reproduces Go's bytes.
          expect(toHex(await exportPrivateKey(key))).toBe(c.private_key_pkcs8_der_hex);
          if (c.type === 'P-256') {
            expect(toHex(await exportPrivateKey(key, 'sec1'))).toBe(
              c.private_key_published_der_hex,
            );
          }
        }
      },
    );

    it.each(cases.filter((c) => c.x25519_form).map((c) => [c.name, c] as const))(
      '%s: Ed25519 -> X25519 conversion as cryptutil does it',
      async (_n, c) => {
        const key = await importPrivateKey(fromHex(c.private_key_pkcs8_der_hex), { backend });
        const mont = await montgomeryPrivate(privateState(key), backend);
        expect(toHex(mont.secret)).toBe(c.x25519_form!.private_scalar_hex);
        expect(toHex(mont.publicKey.pkix)).toBe(c.x25519_form!.public_pkix_der_hex);
        expect(toHex(montgomeryPublic(publicKeyOf(key.publicKey)).pkix)).toBe(
          c.x25519_form!.public_pkix_der_hex,
        );
        // The converted private key is an ordinary X25519 key with the same public key.
        const x = await importPrivateKey(fromHex(c.x25519_form!.private_pkcs8_der_hex), {
          backend,
        });
        expect(toHex(x.publicKey.pkix)).toBe(c.x25519_form!.public_pkix_der_hex);
      },
    );
  });
});

describe.each(BACKENDS)('signatures, %s', (_name, backend) => {
  it.each(['P-256', 'P-384', 'Ed25519'] as const)(
    '%s: generated keys sign and verify; every backend agrees',
    async (type) => {
      const key = await generatePrivateKey(type, { backend });
      expect(key.type).toBe(type);
      const data = utf8('the exact bytes');
      const sig = await sign(key, data, { backend });
      if (type !== 'Ed25519') expect(sig[0]).toBe(0x30); // ASN.1 DER, not r||s
      for (const [, other] of BACKENDS) {
        expect(await verify(key.publicKey, data, sig, { backend: other })).toBe(true);
        expect(await verify(key.publicKey.pkix, utf8('other bytes'), sig, { backend: other })).toBe(
          false,
        );
        const bad = sig.slice();
        bad[bad.length - 1]! ^= 1;
        expect(await verify(key.publicKey, data, bad, { backend: other })).toBe(false);
      }
      // Round trip through PKCS#8 (and SEC1 for EC).
      const again = await importPrivateKey(await exportPrivateKey(key), { backend });
      expect(toHex(again.publicKey.pkix)).toBe(toHex(key.publicKey.pkix));
      if (type !== 'Ed25519') {
        const sec1 = await importPrivateKey(await exportPrivateKey(key, 'sec1'), { backend });
        expect(toHex(sec1.publicKey.pkix)).toBe(toHex(key.publicKey.pkix));
      }
    },
  );

  it('Ed25519 signatures are deterministic and pure (no pre-hash)', async () => {
    const seed = fromHex('f15606e58af0cb3c7dd09d568825ede955d47e7a0318941ccb0697ce65e0d4c1');
    const key = await importPrivateKey(fromHex(`302e020100300506032b657004220420${toHex(seed)}`), {
      backend,
    });
    const sig = await sign(key, utf8('Hello from Chloe!'), { backend });
    expect(toHex(sig)).toBe(
      'f306e71cbfa270532041d67ef95ac9bde50937c6482940a6c71bcb858ff75f523acedce62abbc6c2eb624706a7018214a39b01b4f50b4fa899a83c1220d63706',
    );
  });

  it('ECDSA P-384 hashes with SHA-256, as Go does', async () => {
    const pair = nodeKeyPair('ec', { namedCurve: 'secp384r1' });
    const pkix = pair.pkix;
    const data = utf8('p384 message');
    const sig = nodeSign('sha256', data, { key: pair.privateKey, dsaEncoding: 'der' });
    expect(await verify(pkix, data, sig, { backend })).toBe(true);
    const sha384sig = nodeSign('sha384', data, { key: pair.privateKey, dsaEncoding: 'der' });
    expect(await verify(pkix, data, sha384sig, { backend })).toBe(false);
    const imported = await importPrivateKey(pair.pkcs8, { backend });
    expect(toHex(imported.publicKey.pkix)).toBe(toHex(pkix));
    const ours = await sign(imported, data, { backend });
    expect(await verify(pkix, data, ours, { backend: BACKENDS[0]![1] })).toBe(true);
  });

  it('RSA: PKCS#1 v1.5 over SHA-256 verifies; wrong length or padding does not', async () => {
    const pair = nodeKeyPair('rsa', { modulusLength: 2048 });
    const pkix = pair.pkix;
    const key = parsePublicKey(pkix);
    expect(key.type).toBe('RSA');
    const data = utf8('rsa data');
    const sig = nodeSign('sha256', data, pair.privateKey);
    expect(await verify(key, data, sig, { backend })).toBe(true);
    expect(await verify(key, utf8('other'), sig, { backend })).toBe(false);
    expect(await verify(key, data, sig.subarray(1), { backend })).toBe(false);
    const pss = nodeSign('sha256', data, {
      key: pair.privateKey,
      padding: 6 /* RSA_PKCS1_PSS_PADDING */,
    });
    expect(await verify(key, data, pss, { backend })).toBe(false);
  });

  it('an ECDSA signature in r||s form is refused (Go verifies ASN.1 DER only)', async () => {
    const pair = nodeKeyPair('ec', { namedCurve: 'P-256' });
    const pkix = pair.pkix;
    const data = utf8('x');
    const rs = nodeSign('sha256', data, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' });
    const der = nodeSign('sha256', data, { key: pair.privateKey, dsaEncoding: 'der' });
    expect(rs.length).toBe(64);
    expect(await verify(pkix, data, rs, { backend })).toBe(false);
    expect(await verify(pkix, data, der, { backend })).toBe(true);
    // A DER signature with trailing garbage is refused too.
    const trailing = new Uint8Array(der.length + 1);
    trailing.set(der);
    expect(await verify(pkix, data, trailing, { backend })).toBe(false);
  });

  it('X25519 keys cannot sign', async () => {
    const key = await generatePrivateKey('X25519', { backend });
    await expectRejectsCode(
      () => sign(key, utf8('x'), { backend }),
      CryptoError,
      'UNSUPPORTED_KEY',
    );
    await expectRejectsCode(
      () => verify(key.publicKey, utf8('x'), new Uint8Array(64), { backend }),
      CryptoError,
      'UNSUPPORTED_KEY',
    );
  });

  it('rejects invalid EC private scalars', async () => {
    const zero = fromHex(`30310201010420${'00'.repeat(32)}a00a06082a8648ce3d030107`);
    await expectRejectsCode(() => importPrivateKey(zero, { backend }), CryptoError, 'BAD_KEY');
    const order = fromHex(
      '30310201010420ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551a00a06082a8648ce3d030107',
    );
    await expectRejectsCode(() => importPrivateKey(order, { backend }), CryptoError, 'BAD_KEY');
  });
});

describe('parsePublicKey', () => {
  it('refuses key types Go cannot parse or peerwire does not handle', () => {
    for (const [type, options] of [
      ['ec', { namedCurve: 'secp256k1' }],
      ['ec', { namedCurve: 'secp521r1' }],
      ['ed448', {}],
    ] as const) {
      const { pkix } = nodeKeyPair(type, options);
      expectThrowsCode(() => parsePublicKey(pkix), CryptoError, 'UNSUPPORTED_KEY');
    }
  });

  it('refuses non-canonical or damaged PKIX', () => {
    const p256 = nodeKeyPair('ec', { namedCurve: 'P-256' });
    const good = p256.pkix;
    expect(parsePublicKey(good).type).toBe('P-256');
    const withTrailing = new Uint8Array(good.length + 1);
    withTrailing.set(good);
    expectThrowsCode(() => parsePublicKey(withTrailing), CryptoError, 'BAD_KEY');
    expectThrowsCode(() => parsePublicKey(good.subarray(0, 60)), CryptoError, 'BAD_KEY');
    expectThrowsCode(() => parsePublicKey(new Uint8Array(0)), CryptoError, 'BAD_KEY');
    // A compressed point (Go's x509 marshals uncompressed points only).
    const jwk = p256.publicKey.export({ format: 'jwk' });
    const x = fromBase64Url(jwk.x!);
    const y = fromBase64Url(jwk.y!);
    const comp = fromHex(
      `3039301306072a8648ce3d020106082a8648ce3d030107032200${y[31]! & 1 ? '03' : '02'}${toHex(x)}`,
    );
    expectThrowsCode(() => parsePublicKey(comp), CryptoError, 'BAD_KEY');
    // A 25519 key of the wrong length.
    expectThrowsCode(
      () => parsePublicKey(fromHex(`302b300506032b6570032200${'11'.repeat(33)}`)),
      CryptoError,
      'BAD_KEY',
    );
  });

  it('type predicates match the reference', () => {
    expect(['P-256', 'P-384', 'Ed25519', 'X25519', 'RSA'].map((t) => canSign(t as 'RSA'))).toEqual([
      true,
      true,
      true,
      false,
      true,
    ]);
    expect(
      ['P-256', 'P-384', 'Ed25519', 'X25519', 'RSA'].map((t) => canDecrypt(t as 'RSA')),
    ).toEqual([true, true, false, true, true]);
  });
});

describe('public key cache', () => {
  it('returns the cached key on a hit, forgets the least recently used past its size, 0 disables', async () => {
    const pkix = async () => (await generatePrivateKey('Ed25519')).publicKey.pkix;
    const [a, b, c] = [await pkix(), await pkix(), await pkix()];
    try {
      configureKeyCache(2);
      const ka = parsePublicKey(a);
      expect(parsePublicKey(a.slice())).toBe(ka);
      const kb = parsePublicKey(b);
      expect(parsePublicKey(a)).toBe(ka); // a is now the most recently used
      parsePublicKey(c); // forgets b
      expect(parsePublicKey(a)).toBe(ka);
      expect(parsePublicKey(b)).not.toBe(kb);
      configureKeyCache(0);
      expect(parsePublicKey(a)).not.toBe(parsePublicKey(a));
      expectThrowsCode(() => configureKeyCache(-1), CryptoError, 'BAD_ARGUMENT');
    } finally {
      configureKeyCache(DEFAULT_KEY_CACHE_SIZE);
    }
  });
});
