// Test helpers: seeded randomness, a cached proof-of-work identity, an independent Ed25519
// (node:crypto) to check signatures and contexts, and the typed-error property helper.
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { toBase64Url } from '@peerwire/wire';
import fc from 'fast-check';
import { expect } from 'vitest';
import { generateIdentity, type Identity, NatbaseError } from '../src/index.js';

/** A deterministic random source (xorshift32) for reproducible tests. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
    return out;
  };
}

const identities = new Map<number, Identity>();
/** A proof-of-work identity drawn from seed `seed` (cached: generation takes ~1300 keys). */
export function testIdentity(seed = 1): Identity {
  let id = identities.get(seed);
  if (!id) {
    id = generateIdentity(seededRandom(seed));
    identities.set(seed, id);
  }
  return id;
}

/** Ed25519 verification by node:crypto (OpenSSL), independent of the package's @noble one. */
export function opensslVerify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(publicKey) },
    format: 'jwk',
  });
  return verify(null, message, key, signature);
}

/** Ed25519 signing by node:crypto. */
export function opensslSign(message: Uint8Array, identity: Identity): Uint8Array {
  const key = createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      d: toBase64Url(identity.secretKey),
      x: toBase64Url(identity.publicKey),
    },
    format: 'jwk',
  });
  return new Uint8Array(sign(null, message, key));
}

export const te = new TextEncoder();
export function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}
export function u16le(n: number): number[] {
  return [n & 0xff, n >> 8];
}
export function u64le(n: bigint): number[] {
  const out: number[] = [];
  for (let i = 0n; i < 8n; i++) out.push(Number((n >> (8n * i)) & 0xffn));
  return out;
}
export function filled(length: number, byte: number): Uint8Array {
  return new Uint8Array(length).fill(byte);
}

/** Expects `fn` to throw a NatbaseError with `code`. */
export function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NatbaseError);
    expect((e as NatbaseError).code).toBe(code);
    return;
  }
  throw new Error(`expected NatbaseError ${code}, nothing was thrown`);
}

/**
 * The decoder property: arbitrary bytes give a value that re-encodes to the same bytes, or a
 * NatbaseError, never anything else.
 */
export function roundTripOrTypedError<T>(
  arbitrary: fc.Arbitrary<Uint8Array>,
  decode: (b: Uint8Array) => T,
  encode: (v: T) => Uint8Array,
): void {
  fc.assert(
    fc.property(arbitrary, (bytes) => {
      let value: T;
      try {
        value = decode(bytes);
      } catch (e) {
        if (e instanceof NatbaseError) return;
        throw e;
      }
      expect(encode(value)).toEqual(bytes);
    }),
  );
}

/** Bytes that start with one of `kinds` and have a length around the interesting sizes. */
export function messageBytes(kinds: number[], maxLength = 400): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...kinds), fc.uint8Array({ maxLength }))
    .map(([k, rest]) => cat([k], rest));
}

/** Bytes of kind `kinds[i]` with total lengths drawn around `sizes` (exact, ±1) or anything. */
export function sizedBytes(kinds: number[], sizes: number[]): fc.Arbitrary<Uint8Array> {
  const lengths = sizes.flatMap((s) => [s - 1, s, s + 1]).filter((n) => n >= 1);
  return fc.oneof(
    fc
      .tuple(fc.constantFrom(...kinds), fc.constantFrom(...lengths))
      .chain(([k, n]) =>
        fc.uint8Array({ minLength: n - 1, maxLength: n - 1 }).map((r) => cat([k], r)),
      ),
    messageBytes(kinds),
    fc.uint8Array({ maxLength: 200 }),
  );
}
