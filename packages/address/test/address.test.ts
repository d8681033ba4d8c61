import { toBase64Url } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import { loadVectors } from '../../../tooling/vectors.js';
import {
  type Address,
  AddressError,
  addressOf,
  endpointOf,
  formatAddress,
  hashFromBytes,
  hashToBytes,
  identityHash,
  isValidHash,
  normalizeAddress,
  parseAddress,
  targetOf,
  withEndpoint,
} from '../src/index.js';

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const { cases: keys } = loadVectors<{
  cases: { name: string; public_pkix_der_hex: string; address: string }[];
}>('spot/keys.json');
const ALICE = 'WbGGmxhIVIK1b5J2VvrqDQLAW1YzKAID7hIOlxQkPvA';

describe('addressOf', () => {
  it.each(keys.map((k) => [k.name, k] as const))('%s: k. + base64url(SHA-256(PKIX))', (_n, k) => {
    expect(addressOf(fromHex(k.public_pkix_der_hex))).toBe(k.address);
    expect(`k.${identityHash(fromHex(k.public_pkix_der_hex))}`).toBe(k.address);
  });
});

describe('parseAddress / formatAddress', () => {
  const ok: [string, Address][] = [
    [`k.${ALICE}/echo`, { target: { type: 'k', hash: ALICE }, endpoint: 'echo' }],
    [`k.4p84.${ALICE}/ep`, { target: { type: 'k', server: '4p84', hash: ALICE }, endpoint: 'ep' }],
    [
      'c.4p84.conn-ubzvcl-h7yv-g7pe-tfp6-mddcsqtu/x',
      {
        target: { type: 'c', server: '4p84', clientId: 'conn-ubzvcl-h7yv-g7pe-tfp6-mddcsqtu' },
        endpoint: 'x',
      },
    ],
    [`g.${ALICE}/api:json`, { target: { type: 'g', hash: ALICE }, endpoint: 'api:json' }],
    ['@/idcard_find', { target: { type: '@' }, endpoint: 'idcard_find' }],
    ['/noreply', { target: { type: '' }, endpoint: 'noreply' }],
    [`k.${ALICE}`, { target: { type: 'k', hash: ALICE } }],
    [`k.${ALICE}/`, { target: { type: 'k', hash: ALICE }, endpoint: '' }],
    [`k.${ALICE}/ep/more`, { target: { type: 'k', hash: ALICE }, endpoint: 'ep/more' }],
  ];
  it.each(ok)('%s', (text, parsed) => {
    expect(parseAddress(text)).toEqual(parsed);
    expect(formatAddress(parsed)).toBe(text);
  });

  const bad: [string, string, string][] = [
    ['x.abc/ep', 'BAD_TYPE', '"x"'],
    ['k/ep', 'MISSING_PART', 'k.<hash>'],
    ['k./ep', 'MISSING_PART', 'hash is missing'],
    ['k.short/ep', 'BAD_HASH', '"short"'],
    [`k.${ALICE.slice(0, 42)}B/ep`, 'BAD_HASH', 'base64url'],
    [`k.a.b.${ALICE}`, 'TOO_MANY_PARTS', 'k.<server>.<hash>'],
    [`k..${ALICE}`, 'MISSING_PART', 'server hint'],
    ['c.srv/ep', 'MISSING_PART', 'c.<server>.<client id>'],
    ['c..id', 'MISSING_PART', 'server'],
    ['c.srv./x', 'MISSING_PART', 'client id'],
    [`g.${ALICE}.x`, 'TOO_MANY_PARTS', 'g.<hash>'],
    ['g.+++/x', 'BAD_HASH', 'group'],
    ['@@/x', 'BAD_TYPE', '"@@"'],
  ];
  it.each(bad)('%s is rejected with %s naming the bad part', (text, code, mention) => {
    const err = expectThrowsCode(() => parseAddress(text), AddressError, code);
    expect(err.message).toContain(mention);
    expect(err.input).toBe(text);
  });
});

describe('legacy colon form (input only)', () => {
  it.each([
    [
      'k:j0NDRmSPa5bfid2pAcUXaxCm2Dlh3TwayItZstwyeqQ/eth',
      'k.j0NDRmSPa5bfid2pAcUXaxCm2Dlh3TwayItZstwyeqQ/eth',
    ],
    ['c:srvcode:clientid/eth', 'c.srvcode.clientid/eth'],
    [
      'g:j0NDRmSPa5bfid2pAcUXaxCm2Dlh3TwayItZstwyeqQ/api:json',
      'g.j0NDRmSPa5bfid2pAcUXaxCm2Dlh3TwayItZstwyeqQ/api:json',
    ],
    [`k:4p84:${ALICE}`, `k.4p84.${ALICE}`],
    ['@/a:b', '@/a:b'],
    ['/x:y', '/x:y'],
  ])('%s → %s', (input, normalised) => {
    expect(normalizeAddress(input)).toBe(normalised);
    expect(formatAddress(parseAddress(input))).toBe(normalised);
  });
});

describe('endpoints', () => {
  it('cuts the endpoint like the reference client', () => {
    expect(endpointOf(`k.${ALICE}/ep/more`)).toBe('ep');
    expect(endpointOf('@/version')).toBe('version');
    expect(endpointOf('/6ba7b810-9dad-41d1-80b4-00c04fd430c8')).toBe(
      '6ba7b810-9dad-41d1-80b4-00c04fd430c8',
    );
    expect(endpointOf(`k.${ALICE}`)).toBe('');
    expect(targetOf(`k:${ALICE}/x`)).toBe(`k.${ALICE}`);
    expect(withEndpoint({ type: '@' }, 'time')).toBe('@/time');
  });
});

describe('hashes', () => {
  it('validates exactly the 43-character encodings of 32 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => {
        const h = hashFromBytes(b);
        expect(isValidHash(h)).toBe(true);
        expect(hashToBytes(h)).toEqual(b);
      }),
    );
    fc.assert(
      fc.property(
        fc.string({
          minLength: 43,
          maxLength: 43,
          unit: fc.constantFrom(...'AB09_-+/=z.'.split('')),
        }),
        (s) => {
          let decodable = false;
          try {
            decodable =
              toBase64Url(Uint8Array.from(Buffer.from(s, 'base64url'))) === s &&
              Buffer.from(s, 'base64url').length === 32;
          } catch {
            decodable = false;
          }
          expect(isValidHash(s)).toBe(decodable);
        },
      ),
    );
  });
});

const arbHash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(hashFromBytes);
const arbPart = fc.string({
  minLength: 1,
  maxLength: 10,
  unit: fc.constantFrom(...'abcXYZ019-_'.split('')),
});
const arbAddress: fc.Arbitrary<Address> = fc.record(
  {
    target: fc.oneof(
      arbHash.map((hash) => ({ type: 'k' as const, hash })),
      fc.tuple(arbPart, arbHash).map(([server, hash]) => ({ type: 'k' as const, server, hash })),
      fc
        .tuple(arbPart, arbPart)
        .map(([server, clientId]) => ({ type: 'c' as const, server, clientId })),
      arbHash.map((hash) => ({ type: 'g' as const, hash })),
      fc.constant({ type: '@' as const }),
      fc.constant({ type: '' as const }),
    ),
    endpoint: fc.string({ maxLength: 20 }),
  },
  { requiredKeys: ['target'], noNullPrototype: true },
);

describe('properties', () => {
  it('parse(format(a)) = a', () => {
    fc.assert(
      fc.property(arbAddress, (a) => {
        expect(parseAddress(formatAddress(a))).toEqual(a);
      }),
    );
  });

  it('the colon form parses like the dot form', () => {
    fc.assert(
      fc.property(arbAddress, (a) => {
        const dots = formatAddress(a);
        if (a.target.type === 'k' || a.target.type === 'c' || a.target.type === 'g') {
          const slash = dots.indexOf('/');
          const target = slash < 0 ? dots : dots.slice(0, slash);
          const colons = target.replaceAll('.', ':') + (slash < 0 ? '' : dots.slice(slash));
          expect(parseAddress(colons)).toEqual(a);
        }
      }),
    );
  });

  it('arbitrary text gives an Address or an AddressError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc
            .tuple(fc.constantFrom('k.', 'c.', 'g.', 'k:', '@', '/'), fc.string())
            .map(([a, b]) => a + b),
        ),
        (s) => {
          const a = valueOrTypedError(() => parseAddress(s), AddressError);
          if (a) expect(formatAddress(a)).toBe(normalizeAddress(s));
        },
      ),
    );
  });
});
