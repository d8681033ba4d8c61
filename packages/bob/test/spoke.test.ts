import { fromHex, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode } from '../../../tooling/test-helpers.js';
import {
  clientCompute,
  clientHello,
  decodePublic,
  decodeSecret,
  deriveKeys,
  encodeSecret,
  generateSecret,
  SpokeError,
  SpokeFailure,
  serverCompute,
  serverFinalize,
} from '../src/index.js';
import { randomScalar } from '../src/internal.js';
import { type SpokeVector, VECTOR_A, VECTOR_B } from './spec-vectors.js';

function run(v: SpokeVector) {
  const publicBytes = fromHex(v.public);
  const pub = decodePublic(publicBytes);
  const identities = { client: v.clientIdentity, server: v.serverIdentity };
  const secret = generateSecret(v.password, { salt: pub.salt });
  const hello = clientHello(publicBytes, v.password, { scalar: fromHex(v.x) });
  const server = serverCompute(secret, identities, hello.X, { scalar: fromHex(v.y) });
  const client = clientCompute(hello.state, identities, server.Y, server.validator);
  const serverKeys = serverFinalize(server.state, client.validator);
  return { pub, secret, hello, server, client, serverKeys };
}

describe.each([VECTOR_A, VECTOR_B])('spec §10.2 vector $name', (v) => {
  it('derives the public, M, N, h_K and L from the password', () => {
    const pub = decodePublic(fromHex(v.public));
    expect(toHex(pub.salt)).toBe(v.salt);
    expect(pub.iterations).toBe(16);
    expect(pub.ciphers).toEqual([0, 2]);
    const keys = deriveKeys(v.password, pub);
    expect(toHex(keys.M)).toBe(v.M);
    expect(toHex(keys.N)).toBe(v.N);
    expect(toHex(keys.hK)).toBe(v.hK);
    expect(toHex(keys.L)).toBe(v.L);
  });

  it('generates the same public and a secret holding M, N, h_K, L', () => {
    const secret = generateSecret(v.password, { salt: fromHex(v.salt) });
    expect(toHex(secret.public)).toBe(v.public);
    const bytes = encodeSecret(secret);
    expect(bytes.length).toBe(162);
    expect(toHex(bytes)).toBe(v.public + v.M + v.N + v.hK + v.L);
    expect(decodeSecret(bytes)).toEqual(secret);
  });

  it('reproduces X, Y, both validators and both shared keys value for value', () => {
    const r = run(v);
    expect(toHex(r.hello.X)).toBe(v.X);
    expect(toHex(r.server.Y)).toBe(v.Y);
    expect(toHex(r.server.validator)).toBe(v.v2);
    expect(toHex(r.client.validator)).toBe(v.v3);
    expect(toHex(r.client.sharedKeys.client)).toBe(v.clientSk);
    expect(toHex(r.client.sharedKeys.server)).toBe(v.serverSk);
    expect(toHex(r.serverKeys.client)).toBe(v.clientSk);
    expect(toHex(r.serverKeys.server)).toBe(v.serverSk);
  });

  it('fails the client check with Spoke_failure 01 when the password differs', () => {
    const publicBytes = fromHex(v.public);
    const identities = { client: v.clientIdentity, server: v.serverIdentity };
    const secret = generateSecret(v.password, { salt: fromHex(v.salt) });
    const hello = clientHello(publicBytes, `${v.password}!`, { scalar: fromHex(v.x) });
    const server = serverCompute(secret, identities, hello.X, { scalar: fromHex(v.y) });
    const error = expectThrowsCode(
      () => clientCompute(hello.state, identities, server.Y, server.validator),
      SpokeError,
      'BAD_CLIENT_VALIDATOR',
    );
    expect(error.failure).toBe(SpokeFailure.InvalidClientValidator);
  });

  it('fails when the two sides bind different identities', () => {
    const publicBytes = fromHex(v.public);
    const secret = generateSecret(v.password, { salt: fromHex(v.salt) });
    const hello = clientHello(publicBytes, v.password, { scalar: fromHex(v.x) });
    const server = serverCompute(
      secret,
      { client: v.clientIdentity, server: v.serverIdentity },
      hello.X,
      { scalar: fromHex(v.y) },
    );
    expectThrowsCode(
      () =>
        clientCompute(
          hello.state,
          { client: 'somebody-else', server: v.serverIdentity },
          server.Y,
          server.validator,
        ),
      SpokeError,
      'BAD_CLIENT_VALIDATOR',
    );
  });

  it('rejects a wrong server validator with Spoke_failure 02', () => {
    const r = run(v);
    const bad = Uint8Array.from(r.client.validator);
    bad[63]! ^= 1;
    const error = expectThrowsCode(
      () => serverFinalize(r.server.state, bad),
      SpokeError,
      'BAD_SERVER_VALIDATOR',
    );
    expect(error.failure).toBe(SpokeFailure.InvalidServerValidator);
  });
});

describe('point checks (spec §6.4)', () => {
  const publicBytes = fromHex(VECTOR_A.public);
  const secret = generateSecret(VECTOR_A.password, { salt: fromHex(VECTOR_A.salt) });
  const ids = { client: 'c', server: 's' };
  const y = { scalar: fromHex(VECTOR_A.y) };

  it('rejects an X that is not a point, or is M (X − M = identity), with failure 00', () => {
    const notAPoint = new Uint8Array(32).fill(0xff); // y >= p: not canonical
    const e1 = expectThrowsCode(
      () => serverCompute(secret, ids, notAPoint, y),
      SpokeError,
      'BAD_POINT',
    );
    expect(e1.failure).toBe(SpokeFailure.PointNotOnPrimeOrderSubgroup);
    expectThrowsCode(() => serverCompute(secret, ids, secret.M, y), SpokeError, 'BAD_POINT');
  });

  it('rejects X − M of small order and X − M outside the prime-order subgroup', async () => {
    const { ed25519 } = await import('@noble/curves/ed25519.js');
    const P = ed25519.Point;
    const M = P.fromBytes(secret.M);
    // An order-2 point: (0, -1).
    const order2 = P.fromAffine({ x: 0n, y: P.Fp.neg(1n) });
    expectThrowsCode(
      () => serverCompute(secret, ids, M.add(order2).toBytes(), y),
      SpokeError,
      'BAD_POINT',
    );
    // A point with a torsion component: B + T8 (T8 of order 8).
    const t8 = P.fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');
    const mixed = P.BASE.add(t8);
    expect(mixed.isTorsionFree()).toBe(false);
    expectThrowsCode(
      () => serverCompute(secret, ids, M.add(mixed).toBytes(), y),
      SpokeError,
      'BAD_POINT',
    );
  });

  it('rejects a Y that is not a point on the client side', () => {
    const hello = clientHello(publicBytes, VECTOR_A.password, { scalar: fromHex(VECTOR_A.x) });
    const error = expectThrowsCode(
      () => clientCompute(hello.state, ids, new Uint8Array(32).fill(0xff), new Uint8Array(64)),
      SpokeError,
      'BAD_POINT',
    );
    expect(error.failure).toBe(0);
  });

  it('fuzz: arbitrary X and Y give a value or a SpokeError, never another exception', () => {
    // One case costs two scalar products (~3 ms): 500 runs keep this under a few seconds.
    const hello = clientHello(publicBytes, VECTOR_A.password, { scalar: fromHex(VECTOR_A.x) });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (point) => {
        for (const f of [
          () => serverCompute(secret, ids, point, y),
          () => clientCompute(hello.state, ids, point, new Uint8Array(64)),
        ]) {
          try {
            f();
          } catch (error) {
            if (!(error instanceof SpokeError)) throw error;
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('random scalars', () => {
  it('masks like spoke and redraws an all-zero draw', () => {
    const draws = [new Uint8Array(32), new Uint8Array(32).fill(0xff)];
    let calls = 0;
    const s = randomScalar(() => draws[calls++]!);
    expect(calls).toBe(2);
    expect(s[0]).toBe(0xf8);
    expect(s[31]).toBe(0x7f);
  });

  it('a full handshake with random scalars agrees on the keys', () => {
    const random = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n));
    const secret = generateSecret('pw', { salt: random(16) });
    const ids = { client: '::1:5000', server: '::1:5001' };
    const hello = clientHello(secret.public, 'pw', random);
    const server = serverCompute(secret, ids, hello.X, random);
    const client = clientCompute(hello.state, ids, server.Y, server.validator);
    expect(serverFinalize(server.state, client.validator)).toEqual(client.sharedKeys);
  });
});
