import { concatBytes, fromHex, toHex, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  BobError,
  decodeFrame,
  encodeFrame,
  type Frame,
  type Packet,
  PacketDecoder,
  packetTypeOf,
} from '../src/index.js';
import { VECTOR_A } from './spec-vectors.js';

const ascii = (s: string) => utf8Encode(s);
const pub = fromHex(VECTOR_A.public);
const X = fromHex(VECTOR_A.X);
const Y = fromHex(VECTOR_A.Y);
const v2 = fromHex(VECTOR_A.v2);

/** Upstream framing vectors (bob:test/handshake.ml), each two packets in one stream. */
const UPSTREAM = [
  {
    hex:
      '30306433303331323' +
      '72e302e302e313a' +
      '34373932320030306435303699c96c87' +
      '794536d3280d3d19eb73c83d9030deac' +
      'be3b556d10a8f989e629de57bc9e31ba' +
      '42e7157b1331e669eb435ca8f8d1284e' +
      '9ae847bb7d558d2dfb42f6f427f60996' +
      'aea5064df2d417e4cb87bd065a9dc3b4' +
      '5ea034c8aa7f6413cbfe353e',
    expect: [
      [0x00d3, 'client-identity', '127.0.0.1:47922'],
      [0x00d5, 'y-and-server-validator', undefined],
    ],
  },
  {
    hex:
      '303036633037bd0bce54d082f618f50a' +
      '63029babe93177c91bfaf168e42938c7' +
      'bdf3df599a72313237' +
      '2e302e302e313a' +
      '343831383200303037353037' +
      '2e79b6b3f87de5b4efda6b7b677878' +
      '87f5fe35320d0cd1fa84245f9a00fe854c3132372e' +
      '302e302e313a343831383200',
    expect: [
      [0x006c, 'x-and-client-identity', '127.0.0.1:48182'],
      [0x0075, 'x-and-client-identity', '127.0.0.1:48182'],
    ],
  },
  {
    hex:
      '303065303037890170fa83b22bb91a3a' +
      '62d8aa3ccd8e9a287c4feae708c7ea41' +
      'b2c032f478df3132372e302e302e313a' +
      '34393330380030306465303' +
      '54e8918a6' +
      '41de95b75f7907fabf3ea8fa3bf7fa57' +
      '127a1550dc5075c9923b5495' +
      '30002d51' +
      '1beb6e6ce97939def71448c607708942' +
      'b43d10a5ce9c2d656ef598b9',
    expect: [
      [0x00e0, 'x-and-client-identity', '127.0.0.1:49308'],
      [0x00de, 'client-validator', undefined],
    ],
  },
] as const;

function summary(frames: Frame[]) {
  return frames.map((f) => [
    f.uid,
    f.packet.type,
    'identity' in f.packet ? f.packet.identity : undefined,
  ]);
}

describe('relay packet codec (spec §1.1–1.2)', () => {
  it('writes the worked example of spec §5 byte for byte', () => {
    const enc = (uid: number, p: Packet) => toHex(encodeFrame(uid, p));
    expect(enc(0, { type: 'hello-as-a-server', public: pub })).toBe(
      toHex(ascii('000000')) + VECTOR_A.public,
    );
    expect(enc(0, { type: 'server-identity', identity: '127.0.0.1:47922' })).toBe(
      toHex(ascii('000002127.0.0.1:47922\0')),
    );
    expect(enc(0, { type: 'hello-as-a-client' })).toBe(toHex(ascii('000001')));
    expect(enc(0, { type: 'new-server', uid: 1, public: pub, identity: '127.0.0.1:47922' })).toBe(
      toHex(ascii('0000040001')) + VECTOR_A.public + toHex(ascii('127.0.0.1:47922\0')),
    );
    expect(enc(1, { type: 'x-and-client-identity', X, identity: '127.0.0.1:48182' })).toBe(
      toHex(ascii('000107')) + VECTOR_A.X + toHex(ascii('127.0.0.1:48182\0')),
    );
    expect(enc(2, { type: 'y-and-server-validator', Y, validator: v2 })).toBe(
      toHex(ascii('000206')) + VECTOR_A.Y + VECTOR_A.v2,
    );
    expect(enc(1, { type: 'client-validator', validator: fromHex(VECTOR_A.v3) })).toBe(
      toHex(ascii('000105')) + VECTOR_A.v3,
    );
    expect(enc(2, { type: 'agreement' })).toBe(toHex(ascii('000208')));
    expect(enc(1, { type: 'accepted' })).toBe(toHex(ascii('00010a')));
    expect(enc(0, { type: 'done' })).toBe(toHex(ascii('00000e')));
    expect(enc(0xffff, { type: 'timeout' })).toBe(toHex(ascii('ffff0f')));
    expect(enc(0, { type: 'closed', uid: 0xabcd })).toBe(toHex(ascii('000009abcd')));
    expect(
      enc(0, { type: 'relay-failure', failure: { kind: 'no-handshake-with', uid: 0x12 } }),
    ).toBe(toHex(ascii('00000cH0012')));
    expect(enc(0, { type: 'relay-failure', failure: { kind: 'no-agreement' } })).toBe(
      toHex(ascii('00000cN0000')),
    );
    expect(enc(3, { type: 'spoke-failure', failure: 1 })).toBe(`${toHex(ascii('00030d'))}01`);
  });

  it.each(UPSTREAM.map((v, i) => [i, v] as const))(
    'parses upstream framing vector %i in every two-way split',
    (_i, vector) => {
      const bytes = fromHex(vector.hex);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const d = new PacketDecoder();
        const frames = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
        expect(summary(frames)).toEqual(vector.expect);
        expect(d.buffered).toBe(0);
      }
    },
  );

  it('parses upstream framing vectors fed one byte at a time', () => {
    for (const vector of UPSTREAM) {
      const d = new PacketDecoder();
      const frames: Frame[] = [];
      for (const b of fromHex(vector.hex)) frames.push(...d.push(Uint8Array.of(b)));
      expect(summary(frames)).toEqual(vector.expect);
    }
  });

  it('looks for the NUL only after the fixed prefix: X and the public may contain 00', () => {
    const zeroX = new Uint8Array(32); // all NUL
    const frame = decodeFrame(
      encodeFrame(7, { type: 'x-and-client-identity', X: zeroX, identity: 'a:1' }),
    );
    expect(frame).toEqual({
      uid: 7,
      packet: { type: 'x-and-client-identity', X: zeroX, identity: 'a:1' },
    });
    const zeroPub = new Uint8Array(34);
    const ns = decodeFrame(
      encodeFrame(0, { type: 'new-server', uid: 0, public: zeroPub, identity: '' }),
    );
    expect(ns.packet).toEqual({ type: 'new-server', uid: 0, public: zeroPub, identity: '' });
  });

  it('accepts upper-case hex like OCaml and parses N0000', () => {
    expect(decodeFrame(ascii('ABCD0A'))).toEqual({ uid: 0xabcd, packet: { type: 'accepted' } });
    expect(decodeFrame(ascii('00000cN0000')).packet).toEqual({
      type: 'relay-failure',
      failure: { kind: 'no-agreement' },
    });
    expect(decodeFrame(ascii('0000090A0B')).packet).toEqual({ type: 'closed', uid: 0x0a0b });
  });

  it('gives typed errors with precise codes', () => {
    expectThrowsCode(() => decodeFrame(ascii('00zz00')), BobError, 'BAD_HEADER');
    expectThrowsCode(() => decodeFrame(ascii('000010')), BobError, 'UNKNOWN_PACKET');
    expectThrowsCode(
      () => decodeFrame(concatBytes(ascii('00000d'), Uint8Array.of(5))),
      BobError,
      'BAD_PACKET',
    );
    expectThrowsCode(() => decodeFrame(ascii('00000cX0001')), BobError, 'BAD_PACKET');
    expectThrowsCode(() => decodeFrame(ascii('00000cN0001')), BobError, 'BAD_PACKET');
    expectThrowsCode(() => decodeFrame(ascii('000009zzzz')), BobError, 'BAD_PACKET');
    expectThrowsCode(() => decodeFrame(ascii('000002')), BobError, 'TRUNCATED');
    expectThrowsCode(() => decodeFrame(ascii('000008000008')), BobError, 'BAD_PACKET');
    expectThrowsCode(() => encodeFrame(0x10000, { type: 'done' }), BobError, 'BAD_PACKET');
    expectThrowsCode(
      () => encodeFrame(0, { type: 'client-identity', identity: 'a\0b' }),
      BobError,
      'BAD_PACKET',
    );
  });

  it('refuses an identity longer than the limit as soon as the limit is passed', () => {
    const d = new PacketDecoder({ maxIdentityLength: 10 });
    expect(d.push(ascii('000002abcdefghij'))).toEqual([]);
    expectThrowsCode(() => d.push(ascii('k')), BobError, 'FIELD_TOO_LONG');
    // The decoder stays failed: the stream has no length prefix to resynchronise on.
    expectThrowsCode(() => d.push(ascii('\0')), BobError, 'FIELD_TOO_LONG');
    expectThrowsCode(
      () =>
        encodeFrame(
          0,
          { type: 'client-identity', identity: 'x'.repeat(11) },
          { maxIdentityLength: 10 },
        ),
      BobError,
      'FIELD_TOO_LONG',
    );
  });

  it('numbers the types as bob does (10–15 written 0a–0f)', () => {
    expect(packetTypeOf({ type: 'refused' })).toBe(0x0b);
    expect(toHex(encodeFrame(0, { type: 'refused' }))).toBe(toHex(ascii('00000b')));
  });
});

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const identity = fc
  .uint8Array({ maxLength: 99 })
  .map((b) => String.fromCharCode(...b.map((x) => x || 1)));
const packetArb: fc.Arbitrary<Packet> = fc.oneof(
  bytes(34).map((p) => ({ type: 'hello-as-a-server' as const, public: p })),
  fc.constant({ type: 'hello-as-a-client' as const }),
  identity.map((identity) => ({ type: 'server-identity' as const, identity })),
  identity.map((identity) => ({ type: 'client-identity' as const, identity })),
  fc
    .tuple(fc.integer({ min: 0, max: 0xffff }), bytes(34), identity)
    .map(([uid, p, identity]) => ({ type: 'new-server' as const, uid, public: p, identity })),
  bytes(64).map((validator) => ({ type: 'client-validator' as const, validator })),
  fc
    .tuple(bytes(32), bytes(64))
    .map(([y, validator]) => ({ type: 'y-and-server-validator' as const, Y: y, validator })),
  fc
    .tuple(bytes(32), identity)
    .map(([x, identity]) => ({ type: 'x-and-client-identity' as const, X: x, identity })),
  fc.constantFrom(
    { type: 'agreement' as const },
    { type: 'accepted' as const },
    { type: 'refused' as const },
    { type: 'done' as const },
    { type: 'timeout' as const },
  ),
  fc.integer({ min: 0, max: 0xffff }).map((uid) => ({ type: 'closed' as const, uid })),
  fc.integer({ min: 0, max: 4 }).map((f) => ({ type: 'spoke-failure' as const, failure: f as 0 })),
  fc
    .oneof(
      fc.constant({ kind: 'no-agreement' as const }),
      fc
        .tuple(
          fc.constantFrom(
            'invalid-client' as const,
            'invalid-server' as const,
            'no-handshake-with' as const,
          ),
          fc.integer({ min: 0, max: 0xffff }),
        )
        .map(([kind, uid]) => ({ kind, uid })),
    )
    .map((failure) => ({ type: 'relay-failure' as const, failure })),
);

describe('packet codec properties', () => {
  it('arbitrary bytes give frames or a BobError; parsed frames re-encode to an equal value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        const frames = valueOrTypedError(() => new PacketDecoder().push(input), BobError);
        for (const f of frames ?? []) {
          expect(decodeFrame(encodeFrame(f.uid, f.packet))).toEqual(f);
        }
      }),
    );
  });

  it('arbitrary hex-headed input exercises every body decoder', () => {
    const header = fc
      .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0x10 }))
      .map(([u, t]) => ascii(u.toString(16).padStart(4, '0') + t.toString(16).padStart(2, '0')));
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 200 }), (h, body) => {
        const input = concatBytes(h, body);
        const frames = valueOrTypedError(() => new PacketDecoder().push(input), BobError);
        for (const f of frames ?? []) expect(decodeFrame(encodeFrame(f.uid, f.packet))).toEqual(f);
      }),
    );
  });

  it('encode then decode is the identity, byte for byte, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), packetArb), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
        (list, cuts) => {
          const stream = concatBytes(...list.map(([uid, p]) => encodeFrame(uid, p)));
          const d = new PacketDecoder();
          const frames: Frame[] = [];
          let o = 0;
          let i = 0;
          while (o < stream.length) {
            const n = cuts[i++ % cuts.length]!;
            frames.push(...d.push(stream.subarray(o, o + n)));
            o += n;
          }
          expect(frames).toEqual(list.map(([uid, packet]) => ({ uid, packet })));
          expect(toHex(concatBytes(...frames.map((f) => encodeFrame(f.uid, f.packet))))).toBe(
            toHex(stream),
          );
        },
      ),
    );
  });
});
