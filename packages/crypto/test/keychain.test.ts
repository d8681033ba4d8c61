import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { encodeCbor, fromHex, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { expectRejectsCode } from '../../../tooling/test-helpers.js';
import { buildSecp256k1Pkcs8, parseSecp256k1Pkcs8 } from '../src/der.js';
import {
  CryptoError,
  DEFAULT_KEYCHAIN_KDF,
  exportPrivateKey,
  fastBackend,
  generatePrivateKey,
  Keychain,
  portableBackend,
} from '../src/index.js';
import { loadKeychain, saveKeychain } from '../src/node/index.js';
import { keyOf, nodeKeyPair, pkixOf } from './helpers.js';

/** Cheap scrypt for tests that are not about the cost (the default is 2^17). */
const CHEAP = { N: 2 ** 10, r: 8, p: 1 };

async function sample(): Promise<Keychain> {
  return new Keychain([
    await keyOf('xena'),
    await keyOf('alice'),
    await keyOf('chloe'),
    await keyOf('bob'),
  ]);
}

async function pkcs8List(kc: Keychain): Promise<string[]> {
  return Promise.all(kc.keys().map(async (k) => toHex(await exportPrivateKey(k))));
}

describe('Keychain', () => {
  it('looks keys up by exact PKIX bytes; firstSigner is the first signing key added', async () => {
    const kc = await sample();
    expect(kc.size).toBe(4);
    expect(kc.firstSigner).toBe(await keyOf('alice')); // xena (X25519) cannot sign
    expect(kc.get(pkixOf('bob'))).toBe(await keyOf('bob'));
    expect(kc.has((await keyOf('chloe')).publicKey)).toBe(true);
    expect(kc.has(pkixOf('daniel'))).toBe(false);
    expect(kc.delete(pkixOf('alice'))).toBe(true);
    expect(kc.firstSigner).toBe(await keyOf('chloe'));
    expect(kc.delete(pkixOf('alice'))).toBe(false);
    kc.add(await keyOf('chloe'));
    expect(kc.size).toBe(3);
  });

  it('a plain file round-trips every key, in order', async () => {
    const kc = await sample();
    const bytes = await kc.toBytes();
    expect(toHex(bytes.subarray(0, 6))).toBe('50574b430100');
    const back = await Keychain.fromBytes(bytes);
    expect(await pkcs8List(back)).toEqual(await pkcs8List(kc));
    expect(toHex(back.firstSigner!.publicKey.pkix)).toBe(toHex(pkixOf('alice')));
  });

  it.each([
    ['fast', fastBackend],
    ['portable', portableBackend],
  ] as const)(
    'an encrypted file round-trips (%s) and opens with the other backend',
    async (_n, backend) => {
      const kc = await sample();
      const bytes = await kc.toBytes({ passphrase: 'correct horse', kdf: CHEAP, backend });
      expect(toHex(bytes.subarray(0, 6))).toBe('50574b430101');
      // No key material in the clear.
      for (const k of await pkcs8List(kc)) expect(toHex(bytes)).not.toContain(k.slice(-64));
      for (const other of [fastBackend, portableBackend]) {
        const back = await Keychain.fromBytes(bytes, {
          passphrase: 'correct horse',
          backend: other,
        });
        expect(await pkcs8List(back)).toEqual(await pkcs8List(kc));
      }
    },
  );

  it('the passphrase is NFC-normalised', async () => {
    const bytes = await new Keychain([await keyOf('chloe')]).toBytes({
      passphrase: 'caf\u00e9',
      kdf: CHEAP,
    });
    expect((await Keychain.fromBytes(bytes, { passphrase: 'cafe\u0301' })).size).toBe(1);
  });

  it('a wrong or missing passphrase is BAD_PASSPHRASE, never an empty keychain', async () => {
    const bytes = await (await sample()).toBytes({ passphrase: 'right', kdf: CHEAP });
    await expectRejectsCode(
      () => Keychain.fromBytes(bytes, { passphrase: 'wrong' }),
      CryptoError,
      'BAD_PASSPHRASE',
    );
    await expectRejectsCode(() => Keychain.fromBytes(bytes), CryptoError, 'BAD_PASSPHRASE');
    await expectRejectsCode(
      () => new Keychain().toBytes({ passphrase: '' }),
      CryptoError,
      'BAD_ARGUMENT',
    );
  });

  it('any damaged byte is CORRUPT_KEYCHAIN or BAD_PASSPHRASE, never a silent success', async () => {
    const bytes = await (await sample()).toBytes({ passphrase: 'right', kdf: CHEAP });
    const plain = await (await sample()).toBytes();
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (at, x, encrypted) => {
          const src = encrypted ? bytes : plain;
          const bad = src.slice();
          bad[at % bad.length]! ^= x;
          try {
            const kc = await Keychain.fromBytes(bad, { passphrase: 'right' });
            // A flip inside a plain file's key bytes can still give a valid but different key;
            // it must never give a keychain that silently lost keys.
            expect(encrypted).toBe(false);
            expect(kc.size).toBe(4);
          } catch (error) {
            expect(error).toBeInstanceOf(CryptoError);
            expect(['CORRUPT_KEYCHAIN', 'BAD_PASSPHRASE']).toContain((error as CryptoError).code);
          }
        },
      ),
      // Each encrypted case runs scrypt (N = 2^10): 500 runs.
      { numRuns: 500 },
    );
    await expectRejectsCode(
      () => Keychain.fromBytes(bytes.subarray(0, 20), { passphrase: 'right' }),
      CryptoError,
      'CORRUPT_KEYCHAIN',
    );
    await expectRejectsCode(
      () => Keychain.fromBytes(new Uint8Array(0)),
      CryptoError,
      'CORRUPT_KEYCHAIN',
    );
    await expectRejectsCode(
      () => Keychain.fromBytes(new TextEncoder().encode('{"keys": []}')),
      CryptoError,
      'CORRUPT_KEYCHAIN',
    );
  });

  it('a file asking for an unbounded scrypt is refused before deriving', async () => {
    const body = encodeCbor(
      new Map<string, string | number | Uint8Array>([
        ['kdf', 'scrypt'],
        ['n', 2 ** 22],
        ['r', 64],
        ['p', 16],
        ['salt', new Uint8Array(16)],
        ['check', new Uint8Array(16)],
        ['nonce', new Uint8Array(12)],
        ['ct', new Uint8Array(40)],
      ]),
    );
    const file = new Uint8Array(6 + body.length);
    file.set([0x50, 0x57, 0x4b, 0x43, 1, 1]);
    file.set(body, 6);
    await expectRejectsCode(
      () => Keychain.fromBytes(file, { passphrase: 'x' }),
      CryptoError,
      'CORRUPT_KEYCHAIN',
    );
  });

  it('the default KDF is scrypt N=2^17, r=8, p=1 and works', async () => {
    expect(DEFAULT_KEYCHAIN_KDF).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    const kc = new Keychain([await generatePrivateKey('Ed25519')]);
    const bytes = await kc.toBytes({ passphrase: 'pw' });
    expect((await Keychain.fromBytes(bytes, { passphrase: 'pw' })).size).toBe(1);
  });
});

describe('saveKeychain / loadKeychain (node)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peerwire-keychain-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the file with mode 0600, atomically, and reads it back', async () => {
    const path = join(dir, 'keys.pwkc');
    writeFileSync(path, 'old contents', { mode: 0o644 });
    await saveKeychain(path, await sample(), { passphrase: 'pw', kdf: CHEAP });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['keys.pwkc']); // no temporary file left behind
    const back = await loadKeychain(path, { passphrase: 'pw' });
    expect(await pkcs8List(back)).toEqual(await pkcs8List(await sample()));
    await expectRejectsCode(
      () => loadKeychain(path, { passphrase: 'nope' }),
      CryptoError,
      'BAD_PASSPHRASE',
    );
    writeFileSync(path, readFileSync(path).subarray(0, 30));
    await expectRejectsCode(
      () => loadKeychain(path, { passphrase: 'pw' }),
      CryptoError,
      'CORRUPT_KEYCHAIN',
    );
  });

  it('a missing file is the file system error', async () => {
    await expect(loadKeychain(join(dir, 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('Keychain secp256k1 keys (kept for protocols outside Spot)', () => {
  const k1 = (n: number) => {
    const secret = new Uint8Array(32);
    secret[31] = n;
    secret[0] = 0x42;
    return secret;
  };

  it('are held apart from the Spot keys: never in keys(), get(), firstSigner or size', async () => {
    const kc = await sample();
    const spot = await pkcs8List(kc);
    kc.addSecp256k1Key(k1(1)).addSecp256k1Key(k1(2)).addSecp256k1Key(k1(1));
    expect(kc.secp256k1Keys().map(toHex)).toEqual([toHex(k1(1)), toHex(k1(2))]);
    expect(kc.size).toBe(4);
    expect(await pkcs8List(kc)).toEqual(spot);
    expect(toHex(kc.firstSigner!.publicKey.pkix)).toBe(toHex(pkixOf('alice')));
    // Copies: changing what was returned or passed in changes nothing inside.
    kc.secp256k1Keys()[0]!.fill(0);
    expect(toHex(kc.secp256k1Keys()[0]!)).toBe(toHex(k1(1)));
    expect(kc.deleteSecp256k1Key(k1(1))).toBe(true);
    expect(kc.deleteSecp256k1Key(k1(1))).toBe(false);
    expect(kc.secp256k1Keys().map(toHex)).toEqual([toHex(k1(2))]);
  });

  it('refuse anything but a 32-byte scalar in [1, n-1]', () => {
    const kc = new Keychain();
    const n = fromHex('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    for (const bad of [
      new Uint8Array(32),
      n,
      new Uint8Array(31).fill(1),
      new Uint8Array(33).fill(1),
    ]) {
      expect(() => kc.addSecp256k1Key(bad)).toThrow(
        expect.objectContaining({ code: 'BAD_KEY' }) as unknown as Error,
      );
    }
    expect(kc.secp256k1Keys()).toEqual([]);
  });

  it.each([
    ['plain', undefined],
    ['encrypted', 'pw'],
  ] as const)('round-trip through a %s file, after the Spot keys', async (_n, passphrase) => {
    const kc = (await sample()).addSecp256k1Key(k1(7)).addSecp256k1Key(k1(8));
    const opts = passphrase === undefined ? {} : { passphrase, kdf: CHEAP };
    const bytes = await kc.toBytes(opts);
    if (passphrase !== undefined) expect(toHex(bytes)).not.toContain(toHex(k1(7)));
    const back = await Keychain.fromBytes(bytes, passphrase === undefined ? {} : { passphrase });
    expect(back.secp256k1Keys().map(toHex)).toEqual([toHex(k1(7)), toHex(k1(8))]);
    expect(await pkcs8List(back)).toEqual(await pkcs8List(kc));
    expect(back.size).toBe(4);
    // A file with only a secp256k1 key has no Spot signer.
    const only = await Keychain.fromBytes(await new Keychain().addSecp256k1Key(k1(9)).toBytes());
    expect(only.size).toBe(0);
    expect(only.firstSigner).toBeUndefined();
    expect(only.secp256k1Keys().map(toHex)).toEqual([toHex(k1(9))]);
  });

  it('are stored as PKCS#8 byte for byte as OpenSSL writes it, and read OpenSSL keys', async () => {
    for (let i = 0; i < 8; i++) {
      const der = nodeKeyPair('ec', { namedCurve: 'secp256k1' }).pkcs8;
      const raw = parseSecp256k1Pkcs8(der)!;
      expect(raw.publicKey?.length).toBe(65);
      expect(toHex(buildSecp256k1Pkcs8(raw.secret, raw.publicKey!))).toBe(toHex(der));
      // The file carries the key exactly as OpenSSL's PKCS#8.
      const file = await new Keychain().addSecp256k1Key(raw.secret).toBytes();
      expect(toHex(file)).toContain(toHex(der));
      expect(
        createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }).asymmetricKeyType,
      ).toBe('ec');
    }
    // Other key types are not secp256k1: left to the Spot key parser.
    expect(parseSecp256k1Pkcs8(await exportPrivateKey(await keyOf('alice')))).toBeUndefined();
  });

  it('a stored secp256k1 key that is malformed, out of range or mismatched is CORRUPT_KEYCHAIN', async () => {
    const secret = k1(3);
    const pub = secp256k1.getPublicKey(secret, false);
    const file = (entry: Uint8Array) => {
      const body = encodeCbor([entry]);
      const out = new Uint8Array(6 + body.length);
      out.set([0x50, 0x57, 0x4b, 0x43, 1, 0]);
      out.set(body, 6);
      return out;
    };
    const n = fromHex('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    const otherPub = secp256k1.getPublicKey(k1(4), false);
    const good = buildSecp256k1Pkcs8(secret, pub);
    const truncated = good.subarray(0, good.length - 5);
    for (const bad of [
      buildSecp256k1Pkcs8(n, pub),
      buildSecp256k1Pkcs8(secret, otherPub),
      truncated,
    ]) {
      await expectRejectsCode(() => Keychain.fromBytes(file(bad)), CryptoError, 'CORRUPT_KEYCHAIN');
    }
    expect((await Keychain.fromBytes(file(good))).secp256k1Keys().map(toHex)).toEqual([
      toHex(secret),
    ]);
  });

  it('any byte flip in a file with a secp256k1 key is a typed error or a keychain that kept its keys', async () => {
    const plain = await (await sample()).addSecp256k1Key(k1(5)).toBytes();
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (at, x) => {
        const bad = plain.slice();
        bad[at % bad.length]! ^= x;
        try {
          const kc = await Keychain.fromBytes(bad);
          expect(kc.size + kc.secp256k1Keys().length).toBe(5);
        } catch (error) {
          expect(error).toBeInstanceOf(CryptoError);
          expect((error as CryptoError).code).toBe('CORRUPT_KEYCHAIN');
        }
      }),
      // Each case imports five keys (EC point work): 1000 runs.
      { numRuns: 1000 },
    );
  });
});
