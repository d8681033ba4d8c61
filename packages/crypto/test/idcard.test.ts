import { fromHex, PeerwireError, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  expectRejectsCode,
  expectThrowsCode,
  valueOrTypedError,
} from '../../../tooling/test-helpers.js';
import { loadVectors } from '../../../tooling/vectors.js';
import {
  Bottle,
  type CryptoBackend,
  CryptoError,
  configureIdCardCache,
  DEFAULT_IDCARD_CACHE_SIZE,
  fastBackend,
  generatePrivateKey,
  IDCard,
  Keychain,
  Membership,
  openBottle,
  type SubKey,
  sign,
} from '../src/index.js';
import { BACKENDS, type KeyName, keyOf, pkixOf, utf8 } from './helpers.js';

interface SubKeyJson {
  Key: string;
  Issued: number;
  Expires?: number;
  Purposes: string[];
}
interface MembershipJson {
  Subject: string | null;
  Key: string;
  Status: string;
  Issued: number;
  Info: Record<string, string>;
  SignKey: string;
  Signature: string;
}
interface CardJson {
  Self: string;
  Issued: number;
  SubKeys: SubKeyJson[];
  Revoke: SubKeyJson[] | null;
  Groups: MembershipJson[] | null;
  Meta: Record<string, string> | null;
}
interface CardCase {
  name: string;
  compare: string;
  blob_hex: string;
  address: string;
  signed_bytes_hex: string;
  signatures: { signer: KeyName; signer_pkix_hex: string; signature_hex: string }[];
  inner_header: Record<string, string>;
  idcard_cbor_hex: string;
  decoded: CardJson;
  expected_encrypt_to_card?: { result: string };
  membership_wire_cbor_hex?: string;
  membership_wire_decoded?: MembershipJson;
  membership_signature_bytes_hex?: string;
}

const { cases } = loadVectors<{ cases: CardCase[] }>('spot/idcards.json');
const byName = (n: string) => cases.find((c) => c.name === n)!;
const NOW = 1_700_000_100;

function subKeyJson(s: SubKey): SubKeyJson {
  const out: SubKeyJson = { Key: toHex(s.key), Issued: s.issued, Purposes: s.purposes };
  if (s.expires !== undefined) out.Expires = s.expires;
  return out;
}

function membershipJson(m: Membership): MembershipJson {
  return {
    Subject: m.subject === null ? null : toHex(m.subject),
    Key: toHex(m.key),
    Status: m.status,
    Issued: m.issued,
    Info: Object.fromEntries(m.info),
    SignKey: toHex(m.signKey),
    Signature: m.signature === null ? '' : toHex(m.signature),
  };
}

/** The card as the vectors' `decoded` (minus the fields for humans). */
function cardJson(card: IDCard): CardJson {
  return {
    Self: toHex(card.self),
    Issued: card.issued,
    SubKeys: card.subKeys.map(subKeyJson),
    Revoke: card.revoke?.map(subKeyJson) ?? null,
    Groups: card.groups?.map(membershipJson) ?? null,
    Meta: card.meta === null ? null : Object.fromEntries(card.meta),
  };
}

function withoutNames(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (k, x) => (k.endsWith('_name') ? undefined : x)));
}

function subKeyFromJson(s: SubKeyJson): SubKey {
  const sub: SubKey = { key: fromHex(s.Key), issued: s.Issued, purposes: s.Purposes };
  if (s.Expires !== undefined) sub.expires = s.Expires;
  return sub;
}

/** Builds a card from the vectors' `decoded` form (no parsing involved). */
function cardFromJson(d: CardJson): IDCard {
  return new IDCard({
    self: fromHex(d.Self),
    issued: d.Issued,
    subKeys: d.SubKeys.map(subKeyFromJson),
    revoke: d.Revoke?.map(subKeyFromJson) ?? null,
    groups: null,
    meta: d.Meta === null ? null : new Map(Object.entries(d.Meta)),
  });
}

describe('idcards.json vectors', () => {
  it('covers every case in the file', () => {
    expect(cases.length).toBe(8);
    for (const c of cases) expect(['bytes', 'verify']).toContain(c.compare.split(':')[0]);
  });

  describe.each(BACKENDS)('%s', (_name, backend) => {
    it.each(cases.map((c) => [c.name, c] as const))(
      '%s: parses, verifies and re-encodes',
      async (_n, c) => {
        const card = await IDCard.parseSigned(fromHex(c.blob_hex), { backend, cache: false });
        expect(cardJson(card)).toEqual(withoutNames(c.decoded));
        expect(card.address).toBe(c.address);
        expect(toHex(card.encode())).toBe(c.idcard_cbor_hex);
        const inner = new Bottle(new Map(Object.entries(c.inner_header)), card.encode(), 0);
        expect(toHex(inner.encode())).toBe(c.signed_bytes_hex);
        const opened = await openBottle(fromHex(c.blob_hex), undefined, { backend });
        expect(opened.signers.map((s) => toHex(s.pkix))).toEqual(
          c.signatures.map((s) => s.signer_pkix_hex),
        );
        expect(toHex(opened.layers[1]!.encode())).toBe(c.signed_bytes_hex);
      },
    );

    it.each(cases.filter((c) => c.compare.startsWith('bytes')).map((c) => [c.name, c] as const))(
      '%s: built from the decoded structure, signs to the exact blob',
      async (_n, c) => {
        const card = cardFromJson(c.decoded);
        expect(toHex(card.encode())).toBe(c.idcard_cbor_hex);
        const blob = await card.sign(await keyOf(c.signatures[0]!.signer, backend), { backend });
        expect(toHex(blob)).toBe(c.blob_hex);
      },
    );

    it.each(cases.filter((c) => c.compare.startsWith('verify')).map((c) => [c.name, c] as const))(
      '%s: the signature verifies over the signed bytes; Ed25519 ones re-sign identically',
      async (_n, c) => {
        const s = c.signatures[0]!;
        const key = await keyOf(s.signer, backend);
        const again = await sign(key, fromHex(c.signed_bytes_hex), { backend });
        if (key.type === 'Ed25519') expect(toHex(again)).toBe(s.signature_hex);
        else expect(again[0]).toBe(0x30);
      },
    );

    it('chloe_with_group_membership: the membership verifies as the reference requires', async () => {
      const c = byName('chloe_with_group_membership');
      const card = await IDCard.parseSigned(fromHex(c.blob_hex), { backend, cache: false });
      const stored = card.groups![0]!;
      expect(stored.subject).toBeNull();
      // As stored: Subject null, Info in Go's random order: not verifiable until re-encoded.
      expect(await stored.verify({ backend })).toBe(false);
      const m = stored.clone();
      m.subject = card.self;
      expect(toHex(m.signatureBytes())).toBe(c.membership_signature_bytes_hex);
      expect(await m.verify({ backend })).toBe(true);
      expect((await card.verifiedGroups({ backend })).length).toBe(1);
      // The wire form (Subject set), as a relay sends it in HandshakeRequest.grp.
      const wire = Membership.decode(fromHex(c.membership_wire_cbor_hex!));
      expect(membershipJson(wire)).toEqual(withoutNames(c.membership_wire_decoded));
      expect(toHex(wire.encode())).toBe(c.membership_wire_cbor_hex);
      expect(toHex(wire.signatureBytes())).toBe(c.membership_signature_bytes_hex);
      expect(await wire.verify({ backend })).toBe(true);
      wire.status = 'suspended';
      expect(await wire.verify({ backend })).toBe(false);
    });
  });

  it('daniel_with_x25519_subkey: decrypt keys are the non-expired X25519 subkey only', async () => {
    const card = await IDCard.parseSigned(fromHex(byName('daniel_with_x25519_subkey').blob_hex));
    expect(card.getKeys('decrypt', NOW).map((s) => toHex(s.key))).toEqual([toHex(pkixOf('xena'))]);
    expect(card.getKeys('sign', NOW).map((s) => toHex(s.key))).toEqual([toHex(pkixOf('daniel'))]);
    expect(card.getKeys('decrypt', 2_000_000_000)).toEqual([]); // expires == now: expired
    expect(card.testKeyPurpose(pkixOf('xena'), 'decrypt', NOW)).toBe(true);
    expect(card.testKeyPurpose(pkixOf('xena'), 'sign', NOW)).toBe(false);
  });

  it('daniel_expired_decrypt_subkey: the card verifies but cannot be encrypted to', async () => {
    const c = byName('daniel_expired_decrypt_subkey');
    expect(c.expected_encrypt_to_card!.result).toMatch(/^reject/);
    const card = await IDCard.parseSigned(fromHex(c.blob_hex));
    expect(card.getKeys('decrypt')).toEqual([]);
    await expectRejectsCode(
      () => Bottle.fromPayload(utf8('x')).encrypt([card]),
      CryptoError,
      'NO_RECIPIENTS',
    );
    // Before the expiry it was usable.
    expect(card.getKeys('decrypt', 1_700_000_000).length).toBe(1);
  });

  it('daniel_revoked_subkey: a revoked key is never used, even if still listed as a subkey', async () => {
    const card = await IDCard.parseSigned(fromHex(byName('daniel_revoked_subkey').blob_hex));
    expect(card.isRevoked(pkixOf('xena'))).toBe(true);
    expect(card.getKeys('decrypt', NOW)).toEqual([]);
    const both = await IDCard.parseSigned(fromHex(byName('daniel_with_x25519_subkey').blob_hex));
    both.revoke = card.revoke;
    expect(both.getKeys('decrypt', NOW)).toEqual([]);
    expect(both.testKeyPurpose(pkixOf('xena'), 'decrypt', NOW)).toBe(false);
    await expectRejectsCode(
      () => Bottle.fromPayload(utf8('x')).encrypt([both], { now: NOW }),
      CryptoError,
      'NO_RECIPIENTS',
    );
  });
});

describe('IDCard', () => {
  it('create + addKeychain reproduce what spotlib builds for an ECDSA identity (alice_p256)', async () => {
    const alice = await keyOf('alice');
    const card = IDCard.create(alice.publicKey, {
      now: 1_700_000_000,
      meta: new Map([['name', 'Alice']]),
    });
    card.addKeychain(new Keychain([alice]), { now: 1_700_000_000 });
    expect(toHex(card.encode())).toBe(byName('alice_p256').idcard_cbor_hex);
  });

  it('addKeychain assigns purposes as the reference does', async () => {
    const chloe = await keyOf('chloe');
    const card = IDCard.create(chloe.publicKey, { now: 1 });
    const p256 = await generatePrivateKey('P-256');
    const x = await generatePrivateKey('X25519');
    const ed = await generatePrivateKey('Ed25519');
    card.addKeychain(new Keychain([chloe, p256, x, ed]), { now: 2 });
    expect(card.subKeys.map((s) => [s.issued, s.purposes])).toEqual([
      [1, ['sign']],
      [2, ['sign', 'decrypt']], // a new ECDSA key: Go appends ["sign", "decrypt"] unsorted
      [2, ['decrypt']],
      [2, ['sign']],
    ]);
    card.addKeychain(new Keychain([p256]), { now: 3 });
    expect(card.subKeys[1]!.purposes).toEqual(['decrypt', 'sign']); // merged: sorted
  });

  it('addKey, revokeKey and expiry', async () => {
    const chloe = await keyOf('chloe');
    const card = IDCard.create(chloe.publicKey, { now: 100 });
    const x = await generatePrivateKey('X25519');
    card.addKey(x.publicKey.pkix, ['decrypt', 'decrypt'], { issued: 100, expires: 200 });
    expect(card.subKeys[1]).toEqual({
      key: x.publicKey.pkix,
      issued: 100,
      expires: 200,
      purposes: ['decrypt'],
    });
    expect(card.getKeys('decrypt', 199).length).toBe(1);
    expect(card.getKeys('decrypt', 200).length).toBe(0);
    card.addKey(x.publicKey, ['sign', 'decrypt'], { expires: null });
    expect(card.subKeys[1]!.purposes).toEqual(['decrypt', 'sign']);
    expect(card.subKeys[1]!.expires).toBeUndefined();
    card.revokeKey(x.publicKey, { now: 300 });
    expect(card.subKeys.length).toBe(1);
    expect(card.revoke!.map((s) => toHex(s.key))).toEqual([toHex(x.publicKey.pkix)]);
    expectThrowsCode(() => card.revokeKey(chloe.publicKey), CryptoError, 'BAD_ARGUMENT');
    expectThrowsCode(() => card.addKey(utf8('junk'), ['sign']), CryptoError, 'BAD_KEY');
    // The card round-trips through CBOR and a signature.
    const again = await IDCard.parseSigned(await card.sign(chloe));
    expect(toHex(again.encode())).toBe(toHex(card.encode()));
  });

  it('parseSigned requires a signature by Self and rejects tampering', async () => {
    const chloe = await keyOf('chloe');
    const daniel = await keyOf('daniel');
    const card = IDCard.create(chloe.publicKey, { now: 5 });
    const byDaniel = await card.sign(daniel);
    await expectRejectsCode(() => IDCard.parseSigned(byDaniel), CryptoError, 'NOT_SIGNED_BY_SELF');
    const blob = fromHex(byName('chloe_ed25519').blob_hex);
    const tampered = blob.slice();
    tampered[40]! ^= 1;
    await expectRejectsCode(
      () => IDCard.parseSigned(tampered, { cache: false }),
      CryptoError,
      'BAD_SIGNATURE',
    );
    // The cache never turns a tampered blob into a hit.
    await IDCard.parseSigned(blob);
    await expectRejectsCode(() => IDCard.parseSigned(tampered), CryptoError, 'BAD_SIGNATURE');
  });

  it('updateGroups applies a relay-sent membership exactly as Go does', async () => {
    const base = byName('chloe_ed25519');
    const withGroup = byName('chloe_with_group_membership');
    const card = await IDCard.parseSigned(fromHex(base.blob_hex));
    const wire = fromHex(withGroup.membership_wire_cbor_hex!);
    expect(await card.updateGroups([wire])).toBe(true);
    expect(toHex(card.encode())).toBe(withGroup.idcard_cbor_hex);
    expect(toHex(await card.sign(await keyOf('chloe')))).toBe(withGroup.blob_hex);
    expect(await card.updateGroups([wire])).toBe(false); // already there
    // A suspended membership removes it.
    const bob = await keyOf('bob');
    const suspended = Membership.create(card, bob.publicKey, {
      now: 1_700_000_500,
      status: 'suspended',
    });
    await suspended.sign(bob);
    expect(await card.updateGroups([suspended.encode()])).toBe(true);
    expect(card.groups).toEqual([]);
  });

  it('updateGroups skips other subjects and refuses bad signatures without changing anything', async () => {
    const card = await IDCard.parseSigned(fromHex(byName('chloe_ed25519').blob_hex));
    const bob = await keyOf('bob');
    const other = Membership.create(pkixOf('daniel'), bob.publicKey, { now: 1 });
    await other.sign(bob);
    expect(await card.updateGroups([other.encode()])).toBe(false);
    expect(card.groups).toBeNull();
    const good = Membership.create(card, bob.publicKey, { now: 2 });
    await good.sign(bob);
    const forged = Membership.create(card, bob.publicKey, { now: 3 });
    await forged.sign(await keyOf('alice')); // not signed by the group key
    await expectRejectsCode(
      () => card.updateGroups([good.encode(), forged.encode()]),
      CryptoError,
      'BAD_MEMBERSHIP',
    );
    expect(card.groups).toBeNull();
  });

  it('a membership with Info = null (Go nil map) keeps null in the bytes it signs', async () => {
    const bob = await keyOf('bob');
    const m = new Membership({
      subject: pkixOf('chloe'),
      key: pkixOf('bob'),
      status: 'valid',
      issued: 7,
      info: null,
    });
    await m.sign(bob);
    expect(toHex(m.signatureBytes())).toContain('05f606');
    const back = Membership.decode(m.encode());
    expect(back.info.size).toBe(0);
    expect(toHex(back.encode())).toBe(toHex(m.encode()));
    expect(await back.verify()).toBe(true);
    back.info.set('role', 'x'); // once filled, it is a map again
    expect(toHex(back.signatureBytes())).toContain('05a164726f6c65');
  });

  it('memberships signed by a key of the group card verify against that card', async () => {
    const bob = await keyOf('bob');
    const groupSigner = await generatePrivateKey('Ed25519');
    const groupCard = IDCard.create(bob.publicKey, { now: 10 }).addKey(
      groupSigner.publicKey,
      ['sign'],
      { issued: 10 },
    );
    const m = Membership.create(pkixOf('chloe'), bob.publicKey, {
      now: 11,
      info: new Map([['role', 'admin']]),
    });
    await m.sign(groupSigner);
    expect(await m.verify()).toBe(false); // Verify(nil) requires SignKey == Key
    expect(await m.verify({ group: groupCard, now: 12 })).toBe(true);
    groupCard.revokeKey(groupSigner.publicKey);
    expect(await m.verify({ group: groupCard, now: 12 })).toBe(false);
    const unsigned = Membership.create(pkixOf('chloe'), bob.publicKey);
    unsigned.subject = null;
    await expectRejectsCode(() => unsigned.sign(bob), CryptoError, 'BAD_MEMBERSHIP');
  });
});

describe('robustness (fast-check)', () => {
  it('IDCard.decode and Membership.decode on arbitrary bytes give a value or a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        valueOrTypedError(() => IDCard.decode(bytes), PeerwireError);
        valueOrTypedError(() => Membership.decode(bytes), PeerwireError);
      }),
    );
  });

  it('parseSigned on arbitrary or mutated blobs only ever throws typed errors', async () => {
    const blobs = cases.map((c) => fromHex(c.blob_hex));
    const mutated = fc
      .tuple(fc.constantFrom(...blobs), fc.nat(), fc.integer({ min: 1, max: 255 }))
      .map(([b, at, x]) => {
        const out = b.slice();
        out[at % out.length]! ^= x;
        return out;
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), async (bytes) => {
        try {
          await IDCard.parseSigned(bytes, { cache: false });
        } catch (error) {
          if (!(error instanceof PeerwireError)) throw error;
        }
      }),
    );
  });

  it('cards round-trip through CBOR byte for byte', () => {
    const pkix = fc.constantFrom(
      ...(['alice', 'bob', 'chloe', 'daniel', 'xena'] as const).map(pkixOf),
    );
    const time = fc.integer({ min: 0, max: 2 ** 40 });
    const sub = fc.record(
      {
        key: pkix,
        issued: time,
        expires: time,
        purposes: fc.array(fc.constantFrom('decrypt', 'ephemeral', 'sign'), {
          minLength: 1,
          maxLength: 3,
        }),
      },
      { requiredKeys: ['key', 'issued', 'purposes'] },
    );
    const card = fc.record({
      self: pkix,
      issued: time,
      subKeys: fc.array(sub, { maxLength: 4 }),
      revoke: fc.option(fc.array(sub, { maxLength: 2 }), { nil: null }),
      meta: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })), {
        nil: null,
      }),
    });
    fc.assert(
      fc.property(card, (v) => {
        const c = new IDCard({
          ...v,
          meta: v.meta === null ? null : new Map(Object.entries(v.meta)),
        });
        const bytes = c.encode();
        expect(toHex(IDCard.decode(bytes).encode())).toBe(toHex(bytes));
      }),
    );
  });

  it('a signed card of any shape parses back (Ed25519 signer)', async () => {
    const chloe = await keyOf('chloe');
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })),
        async (meta) => {
          const card = IDCard.create(chloe.publicKey, {
            now: 42,
            meta: new Map(Object.entries(meta)),
          });
          const parsed = await IDCard.parseSigned(await card.sign(chloe), { cache: false });
          expect(toHex(parsed.encode())).toBe(toHex(card.encode()));
        },
      ),
      // One Ed25519 signature and verification per case: 1,000 runs.
      { numRuns: 1000 },
    );
  });
});

describe('verified card cache', () => {
  it('skips verification for a cached blob, forgets the least recently used past its size', async () => {
    let verifies = 0;
    const backend: CryptoBackend = {
      ...fastBackend,
      verify: (k, d, sig) => {
        verifies++;
        return fastBackend.verify(k, d, sig);
      },
    };
    const blobOf = async () => {
      const key = await generatePrivateKey('Ed25519');
      return IDCard.create(key.publicKey).sign(key);
    };
    const [a, b, c] = [await blobOf(), await blobOf(), await blobOf()];
    const parse = async (blob: Uint8Array) => {
      const before = verifies;
      await IDCard.parseSigned(blob, { backend });
      return verifies - before;
    };
    try {
      configureIdCardCache(2);
      expect(await parse(a)).toBe(1);
      expect(await parse(a)).toBe(0);
      expect(await parse(b)).toBe(1);
      expect(await parse(a)).toBe(0); // a is now the most recently used
      expect(await parse(c)).toBe(1); // forgets b
      expect(await parse(a)).toBe(0);
      expect(await parse(b)).toBe(1);
      configureIdCardCache(0);
      expect(await parse(a)).toBe(1);
      expectThrowsCode(() => configureIdCardCache(1.5), CryptoError, 'BAD_ARGUMENT');
    } finally {
      configureIdCardCache(DEFAULT_IDCARD_CACHE_SIZE);
    }
  });
});
