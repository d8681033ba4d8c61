import { type CborValue, DecodeError, fromHex, PeerwireError, toHex } from '@peerwire/wire';
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
  BottleFormat,
  type CryptoBackend,
  CryptoError,
  fastBackend,
  generatePrivateKey,
  IDCard,
  Keychain,
  type OpenResult,
  openBottle,
  type PrivateKey,
  parsePublicKey,
  portableBackend,
} from '../src/index.js';
import { BACKENDS, type KeyName, keyOf, pkixOf, utf8 } from './helpers.js';

interface LayerVector {
  fmt: number;
  header: Record<string, unknown> | null;
  message_length: number;
  message_hex?: string;
  recipients: { recipient: KeyName; recipient_pkix_hex: string; data_length: number }[] | null;
  signatures: { signer: KeyName; signer_pkix_hex: string; signature_hex: string }[] | null;
}
interface BottleCase {
  name: string;
  compare?: string;
  bottle_hex: string;
  bottle_length?: number;
  open_with: KeyName[];
  cannot_open_with?: KeyName[];
  expected: {
    result?: string;
    payload_hex?: string;
    payload_length?: number;
    decryptions?: number;
    signers?: { name: KeyName; pkix_hex: string }[];
    layers?: LayerVector[];
  };
}

const { cases } = loadVectors<{ cases: BottleCase[] }>('spot/bottles.json');
const positives = cases.filter((c) => !c.name.startsWith('neg_'));
const negatives = cases.filter((c) => c.name.startsWith('neg_'));
const exact = positives.filter((c) => c.compare?.startsWith('bytes'));

/** What each negative case must be rejected with. */
const NEGATIVE_CODES: Record<
  string,
  readonly [abstract new (...args: never[]) => PeerwireError, string]
> = {
  neg_corrupted_signature: [CryptoError, 'BAD_SIGNATURE'],
  neg_modified_message: [CryptoError, 'BAD_SIGNATURE'],
  neg_four_element_array: [DecodeError, 'BAD_SHAPE'],
  neg_six_element_array: [DecodeError, 'BAD_SHAPE'],
  neg_trailing_bytes: [DecodeError, 'TRAILING_BYTES'],
  neg_message_is_text_string: [DecodeError, 'BAD_SHAPE'],
  neg_format_4: [CryptoError, 'BAD_FORMAT'],
  neg_ecdsa_signature_p1363: [CryptoError, 'BAD_SIGNATURE'],
  neg_no_matching_key: [CryptoError, 'CANNOT_DECRYPT'],
};

type Recipe = (backend: CryptoBackend) => Promise<Bottle>;
const payloadOf = (c: BottleCase) => fromHex(c.expected.payload_hex!);
const signed = async (b: Bottle, names: KeyName[], backend: CryptoBackend) => {
  for (const n of names) await b.sign(await keyOf(n, backend), { backend });
  return b;
};
const card = async (name: string) => {
  const blob = loadVectors<{ cases: { name: string; blob_hex: string }[] }>(
    'spot/idcards.json',
  ).cases.find((c) => c.name === name)!.blob_hex;
  return IDCard.parseSigned(fromHex(blob));
};
const NOW = 1_700_000_100;

/**
 * How the reference made each positive case, with this package's API. Deterministic cases must
 * come out byte for byte; randomized ones must come out with the same structure.
 */
function recipe(c: BottleCase): Recipe {
  const p = payloadOf(c);
  const map: Record<string, Recipe> = {
    chloe_signed_cleartext: (be) => signed(Bottle.fromPayload(p), ['chloe'], be),
    daniel_signed_cleartext: (be) => signed(Bottle.fromPayload(p), ['daniel'], be),
    chloe_signed_empty_payload: (be) => signed(Bottle.fromPayload(p), ['chloe'], be),
    chloe_signed_binary_256: (be) => signed(Bottle.fromPayload(p), ['chloe'], be),
    chloe_and_daniel_dual_signed: (be) => signed(Bottle.fromPayload(p), ['chloe', 'daniel'], be),
    alice_signed_cleartext: (be) => signed(Bottle.fromPayload(p), ['alice'], be),
    unsigned_cleartext: async () => Bottle.fromPayload(p),
    unsigned_empty_payload: async () => Bottle.fromPayload(p),
    unsigned_null_header: async () => new Bottle(null, p, BottleFormat.ClearText),
    unsigned_nested: async () => Bottle.fromPayload(p).bottleUp(),
    alice_to_bob_encrypt_then_sign: async (be) =>
      signed(
        await Bottle.fromPayload(p).encrypt([parsePublicKey(pkixOf('bob'))], { backend: be }),
        ['alice'],
        be,
      ),
    chloe_to_daniel_encrypt_then_sign: async (be) =>
      signed(
        await Bottle.fromPayload(p).encrypt([parsePublicKey(pkixOf('daniel'))], { backend: be }),
        ['chloe'],
        be,
      ),
    alice_to_bob_and_daniel: async (be) => {
      const b = await Bottle.fromPayload(p).encrypt([pkixOf('bob'), pkixOf('daniel')], {
        backend: be,
      });
      return signed(b.bottleUp(), ['alice'], be);
    },
    anonymous_to_bob: (be) => Bottle.fromPayload(p).encrypt([pkixOf('bob')], { backend: be }),
    anonymous_to_daniel_card_x25519_subkey: async (be) =>
      Bottle.fromPayload(p).encrypt([await card('daniel_with_x25519_subkey')], {
        backend: be,
        now: NOW,
      }),
    spot_body_alice_to_bob: async (be) => {
      const b = await Bottle.fromPayload(p).encrypt([await card('bob_p256')], {
        backend: be,
        now: NOW,
      });
      return signed(b.bottleUp(), ['alice'], be);
    },
    spot_body_chloe_to_daniel: async (be) => {
      const b = await Bottle.fromPayload(p).encrypt([pkixOf('daniel')], { backend: be });
      return signed(b.bottleUp(), ['chloe'], be);
    },
    header_ct_cbor_unsigned: async () => new Bottle(new Map([['ct', 'cbor']]), p, 0),
    header_ct_cbor_signed_by_chloe: (be) =>
      signed(new Bottle(new Map([['ct', 'cbor']]), p, 0), ['chloe'], be),
    header_mixed_types_unsigned: async () =>
      new Bottle(
        new Map<string, CborValue>([
          ['s', 'text'],
          ['n', 42],
          ['neg', -7],
          ['b', Uint8Array.of(1, 2)],
          ['t', true],
        ]),
        p,
        0,
      ),
    nested_signed_daniel_inside_chloe_outside: async (be) =>
      signed((await signed(Bottle.fromPayload(p), ['daniel'], be)).bottleUp(), ['chloe'], be),
    nested_three_levels_header_in_middle: async (be) => {
      const b = (await signed(Bottle.fromPayload(p), ['daniel'], be)).bottleUp();
      b.header!.set('lvl', 'middle');
      return signed(b, ['chloe'], be); // a non-empty header: Sign bottles up first
    },
  };
  return map[c.name]!;
}

function headerJson(h: Map<string, CborValue> | null): Record<string, unknown> | null {
  if (h === null) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of h) {
    out[k] =
      v instanceof Uint8Array ? { bstr_hex: toHex(v) } : typeof v === 'bigint' ? Number(v) : v;
  }
  return out;
}

/** Compares an open result with a vector's `expected`. */
function expectOpened(r: OpenResult, c: BottleCase, exactMessages = true): void {
  const e = c.expected;
  expect(toHex(r.payload)).toBe(e.payload_hex);
  expect(r.payload.length).toBe(e.payload_length);
  expect(r.decryptions).toBe(e.decryptions);
  expect(r.signers.map((s) => toHex(s.pkix))).toEqual(e.signers!.map((s) => s.pkix_hex));
  expect(r.layers.length).toBe(e.layers!.length);
  e.layers!.forEach((l, i) => {
    const got = r.layers[i]!;
    expect(got.format).toBe(l.fmt);
    expect(headerJson(got.header)).toEqual(l.header);
    if (exactMessages) {
      expect(got.message.length).toBe(l.message_length);
      if (l.message_hex !== undefined) expect(toHex(got.message)).toBe(l.message_hex);
    }
    expect(got.recipients?.map((x) => [toHex(x.key), x.data.length]) ?? null).toEqual(
      l.recipients?.map((x) => [x.recipient_pkix_hex, x.data_length]) ?? null,
    );
    expect(got.signatures?.map((s) => toHex(s.key)) ?? null).toEqual(
      l.signatures?.map((s) => s.signer_pkix_hex) ?? null,
    );
    if (exactMessages && l.signatures) {
      // Raw signature bytes are kept as received.
      expect(got.signatures!.map((s) => toHex(s.data))).toEqual(
        l.signatures.map((s) => s.signature_hex),
      );
    }
    // Signers are reported with the index of their layer.
    for (const s of l.signatures ?? []) {
      expect(r.signers.some((x) => x.layer === i && toHex(x.pkix) === s.signer_pkix_hex)).toBe(
        true,
      );
    }
  });
}

async function keychainOf(names: KeyName[], backend: CryptoBackend): Promise<Keychain> {
  const kc = new Keychain();
  for (const n of names) kc.add(await keyOf(n, backend));
  return kc;
}

describe('bottles.json vectors', () => {
  it('covers every case in the file', () => {
    expect(positives.length + negatives.length).toBe(cases.length);
    expect(Object.keys(NEGATIVE_CODES).sort()).toEqual(negatives.map((c) => c.name).sort());
    for (const c of positives) expect(recipe(c), c.name).toBeTypeOf('function');
    expect(exact.length).toBeGreaterThanOrEqual(12);
  });

  describe.each(BACKENDS)('%s', (_name, backend) => {
    it.each(exact.map((c) => [c.name, c] as const))('%s: encodes byte for byte', async (_n, c) => {
      const b = await recipe(c)(backend);
      expect(toHex(b.encode())).toBe(c.bottle_hex);
      expect(b.encode().length).toBe(c.bottle_length);
    });

    it.each(positives.map((c) => [c.name, c] as const))(
      '%s: opens as Go opened it',
      async (_n, c) => {
        const bytes = fromHex(c.bottle_hex);
        const keychains =
          c.open_with.length === 0
            ? [undefined]
            : await Promise.all(c.open_with.map((n) => keychainOf([n], backend)));
        for (const kc of keychains) expectOpened(await openBottle(bytes, kc, { backend }), c);
        for (const n of c.cannot_open_with ?? []) {
          await expectRejectsCode(
            async () => openBottle(bytes, await keychainOf([n], backend), { backend }),
            CryptoError,
            'CANNOT_DECRYPT',
          );
        }
        if (c.open_with.length > 0) {
          await expectRejectsCode(
            () => openBottle(bytes, undefined, { backend }),
            CryptoError,
            'CANNOT_DECRYPT',
          );
        }
      },
    );

    it.each(positives.filter((c) => !exact.includes(c)).map((c) => [c.name, c] as const))(
      '%s: resealing gives the same structure, and it opens',
      async (_n, c) => {
        const b = await recipe(c)(backend);
        const bytes = b.encode();
        const ecdsaSignatures = (c.expected.layers ?? [])
          .flatMap((l) => l.signatures ?? [])
          .filter((s) => s.signer === 'alice');
        // Only ECDSA signature lengths vary (70–72 bytes in DER).
        expect(Math.abs(bytes.length - c.bottle_length!)).toBeLessThanOrEqual(
          2 * ecdsaSignatures.length,
        );
        const kc = await keychainOf(c.open_with, backend);
        for (const [, other] of BACKENDS) {
          expectOpened(await openBottle(bytes, kc, { backend: other }), c, false);
        }
      },
    );

    it.each(negatives.map((c) => [c.name, c] as const))(
      '%s: rejected with the right code',
      async (_n, c) => {
        const [type, code] = NEGATIVE_CODES[c.name]!;
        const kc = await keychainOf(c.open_with, backend);
        await expectRejectsCode(
          () => openBottle(fromHex(c.bottle_hex), kc, { backend }),
          type,
          code,
        );
      },
    );
  });
});

describe('Bottle operations', () => {
  it('NewBottle("x") is 85 a0 41 78 00 f6 f6', () => {
    expect(toHex(Bottle.fromPayload(utf8('x')).encode())).toBe('85a0417800f6f6');
  });

  it('encrypting a clean bottle does not bottle it up again; a signed one is bottled up', async () => {
    const clean = Bottle.fromPayload(utf8('p')).bottleUp();
    const inner = clean.message;
    await clean.encrypt([pkixOf('bob')]);
    const opened = await openBottle(clean.encode(), await keychainOf(['bob'], fastBackend));
    expect(opened.layers.length).toBe(2); // AES -> clear text: the clean wrapper was reused
    expect(toHex(opened.layers[1]!.encode())).toBe(toHex(inner));
  });

  it('refuses to encrypt with no usable recipient, leaving the bottle unchanged', async () => {
    const b = Bottle.fromPayload(utf8('p'));
    const before = toHex(b.encode());
    await expectRejectsCode(() => b.encrypt([]), CryptoError, 'NO_RECIPIENTS');
    const daniel = await card('daniel_ed25519'); // an Ed25519 Self has no decrypt key
    await expectRejectsCode(() => b.encrypt([daniel]), CryptoError, 'NO_RECIPIENTS');
    expect(toHex(b.encode())).toBe(before);
  });

  it('refuses to emit or accept format 4 and above', () => {
    const b = new Bottle(new Map(), utf8('x'), 4);
    expectThrowsCode(() => b.encode(), CryptoError, 'BAD_FORMAT');
    expectThrowsCode(
      () => Bottle.decode(fromHex('85a041781bfffffffffffffffff6f6')),
      CryptoError,
      'BAD_FORMAT',
    );
    expectThrowsCode(() => Bottle.decode(fromHex('85a0417820f6f6')), CryptoError, 'BAD_FORMAT'); // -1
    expectThrowsCode(() => Bottle.decode(fromHex('85a0417860f6f6')), DecodeError, 'BAD_SHAPE'); // ""
  });

  it('recipient and signature entries must have exactly three elements', () => {
    expectThrowsCode(
      () => Bottle.decode(fromHex('85a0417800f681820040')),
      DecodeError,
      'BAD_SHAPE',
    );
    expectThrowsCode(
      () => Bottle.decode(fromHex('85a04178008184004040f6f6')),
      DecodeError,
      'BAD_SHAPE',
    );
  });

  it('caps the number of layers', async () => {
    let b = Bottle.fromPayload(utf8('deep'));
    for (let i = 0; i < 9; i++) b = b.bottleUp();
    const bytes = b.encode();
    await expectRejectsCode(() => openBottle(bytes), CryptoError, 'TOO_MANY_LAYERS');
    expect(toHex((await openBottle(bytes, undefined, { maxLayers: 10 })).payload)).toBe(
      toHex(utf8('deep')),
    );
    await expectRejectsCode(
      () => openBottle(bytes, undefined, { maxLayers: 9 }),
      CryptoError,
      'TOO_MANY_LAYERS',
    );
  });

  it('caps the signatures verified and the decryptions tried', async () => {
    const chloe = await keyOf('chloe');
    const b = Bottle.fromPayload(utf8('many'));
    for (let i = 0; i < 17; i++) await b.sign(chloe);
    await expectRejectsCode(() => openBottle(b.encode()), CryptoError, 'TOO_MANY_SIGNATURES');
    expect((await openBottle(b.encode(), undefined, { maxSignatures: 17 })).signers.length).toBe(
      17,
    );
    // An encrypted layer listing our key many times with junk: at most 8 attempts, then fail.
    const e = await Bottle.fromPayload(utf8('x')).encrypt([pkixOf('bob')]);
    const good = e.recipients![0]!;
    const junk = {
      type: 0,
      key: good.key,
      data: good.data.map((x, i) => (i === good.data.length - 1 ? x ^ 1 : x)),
    };
    e.recipients = [...Array.from({ length: 8 }, () => ({ ...junk })), good];
    const bob = await keychainOf(['bob'], fastBackend);
    await expectRejectsCode(() => openBottle(e.encode(), bob), CryptoError, 'CANNOT_DECRYPT');
    expect((await openBottle(e.encode(), bob, { maxDecryptAttempts: 9 })).decryptions).toBe(1);
  });

  it('a signature by an unparsable key fails the open with BAD_SIGNATURE', async () => {
    const b = Bottle.fromPayload(utf8('x'));
    b.signatures = [{ type: 0, key: utf8('not a key'), data: new Uint8Array(64) }];
    await expectRejectsCode(() => openBottle(b.encode()), CryptoError, 'BAD_SIGNATURE');
  });

  it('opens JSON bottles (format 3) as Go encodes them', async () => {
    const chloe = await keyOf('chloe');
    const inner = await Bottle.fromPayload(utf8('json inside')).sign(chloe);
    const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
    const json = JSON.stringify({
      hdr: { ct: 'cbor' },
      msg: b64(inner.message),
      fmt: 0,
      sig: inner.signatures!.map((s) => ({ key: b64(s.key), dat: b64(s.data) })),
    });
    const outer = new Bottle(new Map(), utf8(json), BottleFormat.JsonBottle);
    const r = await openBottle(outer.encode());
    expect(new TextDecoder().decode(r.payload)).toBe('json inside');
    expect(r.signers.map((s) => s.layer)).toEqual([1]);
    expect(r.layers[1]!.header!.get('ct')).toBe('cbor');
    const broken = new Bottle(new Map(), utf8('{"msg": "@@@"}'), BottleFormat.JsonBottle);
    await expectRejectsCode(() => openBottle(broken.encode()), CryptoError, 'BAD_JSON');
  });
});

describe('cross-backend sealing', () => {
  const types = ['P-256', 'P-384', 'X25519', 'Ed25519'] as const;
  it.each(types)(
    'bottles encrypted to a %s key by any backend open with any other',
    async (type) => {
      for (const [, sealer] of BACKENDS) {
        const recipient = await generatePrivateKey(type, { backend: sealer });
        const signer = await generatePrivateKey(type === 'X25519' ? 'Ed25519' : type, {
          backend: sealer,
        });
        const b = Bottle.fromPayload(utf8(`to ${type}`));
        await b.encrypt([recipient.publicKey], { backend: sealer });
        b.bottleUp();
        await b.sign(signer, { backend: sealer });
        const bytes = b.encode();
        for (const [, opener] of BACKENDS) {
          const r = await openBottle(bytes, new Keychain([recipient]), { backend: opener });
          expect(new TextDecoder().decode(r.payload)).toBe(`to ${type}`);
          expect(r.decryptions).toBe(1);
          expect(toHex(r.signers[0]!.pkix)).toBe(toHex(signer.publicKey.pkix));
        }
      }
    },
  );
});

describe('robustness (fast-check)', () => {
  const valid = cases.map((c) => fromHex(c.bottle_hex));

  it('Bottle.decode on arbitrary bytes gives a Bottle or a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        valueOrTypedError(() => Bottle.decode(bytes), PeerwireError);
      }),
    );
  });

  it('decoded bottles re-encode to the same bytes when the input was canonical', () => {
    const entry = fc.tuple(
      fc.constant(0),
      fc.uint8Array({ maxLength: 100 }),
      fc.uint8Array({ maxLength: 100 }),
    );
    const bottle = fc.record({
      header: fc.option(
        fc.dictionary(
          fc.string({ maxLength: 8 }),
          fc.oneof(fc.string(), fc.integer(), fc.boolean()),
        ),
        {
          nil: null,
        },
      ),
      message: fc.uint8Array({ maxLength: 2000 }),
      format: fc.integer({ min: 0, max: 3 }),
      recipients: fc.option(fc.array(entry, { maxLength: 3 }), { nil: null }),
      signatures: fc.option(fc.array(entry, { maxLength: 3 }), { nil: null }),
    });
    fc.assert(
      fc.property(bottle, (v) => {
        const b = new Bottle(
          v.header === null ? null : new Map(Object.entries(v.header)),
          v.message,
          v.format,
          v.recipients?.map(([type, key, data]) => ({ type, key, data })) ?? null,
          v.signatures?.map(([type, key, data]) => ({ type, key, data })) ?? null,
        );
        const bytes = b.encode();
        expect(toHex(Bottle.decode(bytes).encode())).toBe(toHex(bytes));
      }),
    );
  });

  it('openBottle on arbitrary or mutated bytes only ever throws typed errors', async () => {
    const kc = await keychainOf(['alice', 'bob', 'chloe', 'daniel', 'xena'], fastBackend);
    const mutated = fc
      .tuple(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([b, flips]) => {
        const out = b.slice();
        for (const [at, x] of flips) out[at % out.length]! ^= x;
        return out;
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), async (bytes) => {
        try {
          await openBottle(bytes, kc);
        } catch (error) {
          if (!(error instanceof PeerwireError)) throw error;
        }
      }),
    );
  });

  it('seal/open round-trips random payloads (0 to 64 KiB) to random recipient sets', async () => {
    const pool: PrivateKey[] = [];
    for (const t of ['P-256', 'P-384', 'X25519', 'Ed25519', 'P-256', 'X25519'] as const)
      pool.push(await generatePrivateKey(t));
    const signer = await generatePrivateKey('Ed25519');
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 64 * 1024 }),
        fc.subarray(pool, { minLength: 1 }),
        fc.nat({ max: pool.length - 1 }),
        fc.boolean(),
        async (payload, recipients, pick, portable) => {
          const backend = portable ? portableBackend : fastBackend;
          const b = Bottle.fromPayload(payload);
          await b.encrypt(
            recipients.map((k) => k.publicKey),
            { backend },
          );
          b.bottleUp();
          await b.sign(signer, { backend });
          const bytes = b.encode();
          const holder = pool[pick]!;
          const inSet = recipients.includes(holder);
          try {
            const r = await openBottle(bytes, new Keychain([holder]));
            expect(inSet).toBe(true);
            expect(toHex(r.payload)).toBe(toHex(payload));
            expect(r.decryptions).toBe(1);
          } catch (error) {
            expect(inSet).toBe(false);
            expect((error as CryptoError).code).toBe('CANNOT_DECRYPT');
          }
        },
      ),
      // Each case does several public-key operations (up to 6 wraps, some on @noble): 500 runs.
      { numRuns: 500 },
    );
  }, 300_000); // about 30 s on an idle 2-core machine; generous for a loaded one
});
