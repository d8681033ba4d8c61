import { createHash } from 'node:crypto';
import { compareBytes } from '@peerwire/wire';
import fc from 'fast-check';
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeSecurePacket,
  type Identity,
  NatbaseError,
  type SecureHello,
  SecureLayer,
  type SecureOutput,
} from '../src/index.js';
import { cat, seededRandom, testIdentity, u64le } from './helpers.js';

beforeAll(async () => {
  await sodium.ready;
});

const a = testIdentity(1);
const b = testIdentity(2);
const te = new TextEncoder();

function layer(identity: Identity, seed: number, clock = { t: 0 }, options = {}) {
  return new SecureLayer({ identity, random: seededRandom(seed), now: () => clock.t, ...options });
}
const sends = (out: SecureOutput[]) =>
  out.filter((o) => o.type === 'send').map((o) => (o as { packet: Uint8Array }).packet);
const delivered = (out: SecureOutput[]) =>
  out.filter((o) => o.type === 'deliver').map((o) => (o as { payload: Uint8Array }).payload);
const drops = (out: SecureOutput[]) =>
  out.filter((o) => o.type === 'drop').map((o) => (o as { reason: string }).reason);

/** Delivers every `send` between two layers until quiet; returns everything delivered. */
function pump(
  x: SecureLayer,
  xId: Identity,
  y: SecureLayer,
  yId: Identity,
  first: SecureOutput[],
  from: 'x' | 'y' = 'x',
) {
  const got = { x: [] as Uint8Array[], y: [] as Uint8Array[], events: [] as SecureOutput[] };
  let queue: { to: 'x' | 'y'; packet: Uint8Array }[] = sends(first).map((p) => ({
    to: from === 'x' ? 'y' : 'x',
    packet: p,
  }));
  for (let i = 0; queue.length && i < 100; i++) {
    const next: typeof queue = [];
    for (const { to, packet } of queue) {
      const out = to === 'y' ? y.receive(xId.deviceId, packet) : x.receive(yId.deviceId, packet);
      got.events.push(...out);
      got[to].push(...delivered(out));
      for (const p of sends(out)) next.push({ to: to === 'y' ? 'x' : 'y', packet: p });
    }
    queue = next;
  }
  return got;
}

describe('SecureLayer: the 3-way handshake between two peerwire devices', () => {
  it('send before keys: HELLO 1, HELLO 2, then HELLO 3 and the queued DATA; both sides established', () => {
    const A = layer(a, 10);
    const B = layer(b, 20);
    const first = A.send(b.deviceId, te.encode('one'));
    expect(sends(first).map((p) => p[0])).toEqual([1]);
    expect(A.peer(b.deviceId)).toMatchObject({ established: false, queued: 1 });
    const hello2 = B.receive(a.deviceId, sends(first)[0]!);
    expect(sends(hello2).map((p) => p[0])).toEqual([2]);
    const fin = A.receive(b.deviceId, sends(hello2)[0]!);
    expect(fin.map((o) => o.type)).toEqual(['established', 'send', 'send']);
    expect(sends(fin).map((p) => p[0])).toEqual([3, 0]);
    const done = B.receive(a.deviceId, sends(fin)[0]!);
    expect(done.map((o) => o.type)).toEqual(['established']);
    expect(delivered(B.receive(a.deviceId, sends(fin)[1]!))).toEqual([te.encode('one')]);
    // Both directions now seal and open.
    expect(
      delivered(A.receive(b.deviceId, sends(B.send(a.deviceId, te.encode('two')))[0]!)),
    ).toEqual([te.encode('two')]);
    expect(A.peer(b.deviceId)).toMatchObject({ established: true, queued: 0, peerFlags: 1n });
  });

  it('both sides opening at once still ends with working keys', () => {
    const A = layer(a, 11);
    const B = layer(b, 21);
    const oa = A.send(b.deviceId, te.encode('from a'));
    const ob = B.send(a.deviceId, te.encode('from b'));
    const ra = pump(A, a, B, b, oa, 'x');
    const rb = pump(A, a, B, b, ob, 'y');
    expect([...ra.y, ...rb.y]).toContainEqual(te.encode('from a'));
    expect([...ra.x, ...rb.x]).toContainEqual(te.encode('from b'));
    const back = pump(A, a, B, b, A.send(b.deviceId, te.encode('again')), 'x');
    expect(back.y).toEqual([te.encode('again')]);
  });

  it('a replayed HELLO 2 / 3 is UNEXPECTED_HELLO (helloseq moved on) and changes nothing', () => {
    const A = layer(a, 12);
    const B = layer(b, 22);
    const h1 = sends(A.send(b.deviceId, te.encode('x')))[0]!;
    const h2 = sends(B.receive(a.deviceId, h1))[0]!;
    const fin = A.receive(b.deviceId, h2);
    B.receive(a.deviceId, sends(fin)[0]!);
    expect(drops(A.receive(b.deviceId, h2))).toEqual(['UNEXPECTED_HELLO']);
    expect(drops(B.receive(a.deviceId, sends(fin)[0]!))).toEqual(['UNEXPECTED_HELLO']);
    expect(delivered(B.receive(a.deviceId, sends(A.send(b.deviceId, te.encode('y')))[0]!))).toEqual(
      [te.encode('y')],
    );
  });

  it('renegotiate: fresh kx keys, the session keys change, traffic keeps flowing', () => {
    const A = layer(a, 13);
    const B = layer(b, 23);
    pump(A, a, B, b, A.send(b.deviceId, te.encode('x')));
    const before = sends(A.send(b.deviceId, te.encode('p')))[0]!;
    const ran = pump(A, a, B, b, A.renegotiate(b.deviceId));
    expect(ran.events.filter((o) => o.type === 'established')).toHaveLength(2);
    expect(drops(B.receive(a.deviceId, before))).toEqual(['BAD_MAC']); // old keys are gone
    expect(pump(A, a, B, b, A.send(b.deviceId, te.encode('q'))).y).toEqual([te.encode('q')]);
  });
});

describe('SecureLayer against a reference peer built on libsodium (upstream husarnet_secure.cpp semantics)', () => {
  it('handshake, key derivation with the upstream client rule and flags rehash, DATA both ways', () => {
    const A = layer(a, 14);
    // The reference peer B: libsodium kx keys and signatures; its kx role by upstream's rule:
    // crypto_kx_client_session_keys when `peer < self`.
    const kxB = sodium.crypto_kx_keypair();
    const signB = sodium.crypto_sign_seed_keypair(b.secretKey);
    const helloseqB = 0x5566778800000000n;
    const flagsB = 1n;
    const h1 = decodeSecurePacket(
      sends(A.send(b.deviceId, te.encode('to the reference')))[0]!,
    ) as SecureHello;
    expect(h1.step).toBe(1);
    const body2 = cat(
      [2],
      b.publicKey,
      kxB.publicKey,
      a.deviceId,
      u64le(helloseqB),
      u64le(h1.myHelloseq),
      u64le(flagsB),
    );
    const sig2 = sodium.crypto_sign_detached(
      cat(te.encode('ng-kx-pubkey\n'), body2),
      signB.privateKey,
    );
    const fin = A.receive(b.deviceId, cat(body2, sig2));
    const [h3bytes, dataBytes] = sends(fin);
    const h3 = decodeSecurePacket(h3bytes!) as SecureHello;
    expect(h3.step).toBe(3);
    expect(h3.yourHelloseq).toBe(helloseqB);
    expect(
      sodium.crypto_sign_verify_detached(
        h3bytes!.subarray(105),
        cat(te.encode('ng-kx-pubkey\n'), h3bytes!.subarray(0, 105)),
        b.publicKey,
      ),
    ).toBe(false);
    expect(
      sodium.crypto_sign_verify_detached(
        h3bytes!.subarray(105),
        cat(te.encode('ng-kx-pubkey\n'), h3bytes!.subarray(0, 105)),
        a.publicKey,
      ),
    ).toBe(true);
    const bIsClient = compareBytes(a.deviceId, b.deviceId) < 0;
    const k = bIsClient
      ? sodium.crypto_kx_client_session_keys(kxB.publicKey, kxB.privateKey, h3.kxPublicKey)
      : sodium.crypto_kx_server_session_keys(kxB.publicKey, kxB.privateKey, h3.kxPublicKey);
    const mix = (key: Uint8Array, x: bigint, y: bigint) =>
      new Uint8Array(
        createHash('sha256')
          .update(cat(key, u64le(x), u64le(y)))
          .digest(),
      );
    const rxB = mix(k.sharedRx, h3.flags, flagsB);
    const txB = mix(k.sharedTx, flagsB, h3.flags);
    const clear = sodium.crypto_secretbox_open_easy(
      dataBytes!.subarray(25),
      dataBytes!.subarray(1, 25),
      rxB,
    );
    expect(clear.subarray(0, 8)).toEqual(new Uint8Array(8));
    expect(clear.subarray(8)).toEqual(te.encode('to the reference'));
    const nonce = sodium.randombytes_buf(24);
    const reply = cat(
      [0],
      nonce,
      sodium.crypto_secretbox_easy(
        cat(new Uint8Array(8), te.encode('from the reference')),
        nonce,
        txB,
      ),
    );
    expect(delivered(A.receive(b.deviceId, reply))).toEqual([te.encode('from the reference')]);
  });
});

describe('SecureLayer: hostile and edge input', () => {
  it('DATA before a handshake: NO_SESSION and a HELLO 1', () => {
    const A = layer(a, 15);
    const out = A.receive(b.deviceId, new Uint8Array(60));
    expect(drops(out)).toEqual(['NO_SESSION']);
    expect(sends(out).map((p) => p[0])).toEqual([1]);
  });

  it('a forged DATA packet is BAD_MAC and delivers nothing', () => {
    const A = layer(a, 16);
    const B = layer(b, 26);
    pump(A, a, B, b, A.send(b.deviceId, te.encode('x')));
    const p = sends(A.send(b.deviceId, te.encode('secret')))[0]!.slice();
    p[50]! ^= 0x80;
    const out = B.receive(a.deviceId, p);
    expect(drops(out)).toEqual(['BAD_MAC']);
    expect(delivered(out)).toEqual([]);
  });

  it('a HELLO that fails verification creates no peer state', () => {
    const A = layer(a, 17);
    const B = layer(b, 27);
    const h1 = sends(A.send(b.deviceId, te.encode('x')))[0]!.slice();
    h1[120]! ^= 1;
    const c = testIdentity(3);
    expect(drops(B.receive(a.deviceId, h1))).toEqual(['BAD_SIGNATURE']);
    expect(drops(B.receive(c.deviceId, sends(A.send(b.deviceId, te.encode('x')))[0]!))).toEqual([
      'BAD_DEVICE_ID',
    ]);
    expect(B.size).toBe(0);
  });

  it('a lost HELLO 1 is repeated every helloRetryMs while packets wait; the queue then arrives', () => {
    const clock = { t: 0 };
    const A = layer(a, 40, clock, { limits: { helloRetryMs: 1_000 } });
    const B = layer(b, 41);
    expect(sends(A.send(b.deviceId, te.encode('first'))).map((p) => p[0])).toEqual([1]); // lost
    expect(A.nextTimer()).toBe(1_000);
    clock.t = 999;
    expect(A.timer()).toEqual([]);
    clock.t = 1_000;
    const again = A.timer();
    expect(sends(again).map((p) => p[0])).toEqual([1]);
    const r = pump(A, a, B, b, again);
    expect(r.y).toEqual([te.encode('first')]);
    expect(A.nextTimer()).toBe(Number.POSITIVE_INFINITY); // established: nothing waits
    clock.t = 10_000;
    expect(A.timer()).toEqual([]);
  });

  it('pathChanged repeats HELLO 1 at once, only while packets wait', () => {
    const A = layer(a, 42);
    expect(A.pathChanged(b.deviceId)).toEqual([]); // unknown peer
    A.send(b.deviceId, te.encode('x'));
    const out = A.pathChanged(b.deviceId);
    expect(sends(out).map((p) => p[0])).toEqual([1]);
    pump(A, a, layer(b, 43), b, out);
    expect(A.pathChanged(b.deviceId)).toEqual([]); // established
  });

  it('after maxHelloRetries repeats without an answer the queue is dropped (HANDSHAKE_TIMEOUT)', () => {
    const clock = { t: 0 };
    const A = layer(a, 44, clock, { limits: { helloRetryMs: 100, maxHelloRetries: 3 } });
    A.send(b.deviceId, te.encode('1'));
    A.send(b.deviceId, te.encode('2'));
    const hellos: number[] = [];
    for (let i = 1; i <= 4; i++) {
      clock.t = i * 100;
      const out = A.timer();
      hellos.push(sends(out).length);
      if (i === 4) expect(drops(out)).toEqual(['HANDSHAKE_TIMEOUT']);
    }
    expect(hellos).toEqual([1, 1, 1, 0]);
    expect(A.peer(b.deviceId)).toMatchObject({ established: false, queued: 0 });
    expect(A.nextTimer()).toBe(Number.POSITIVE_INFINITY);
    // A later send starts over with a fresh count of repeats.
    A.send(b.deviceId, te.encode('3'));
    clock.t = 500;
    expect(sends(A.timer())).toHaveLength(1);
  });

  it('the handshake queue holds 10 packets; the 11th is QUEUE_FULL', () => {
    const A = layer(a, 18);
    for (let i = 0; i < 10; i++) expect(drops(A.send(b.deviceId, Uint8Array.of(i)))).toEqual([]);
    expect(drops(A.send(b.deviceId, Uint8Array.of(10)))).toEqual(['QUEUE_FULL']);
    const B = layer(b, 28);
    const r = pump(
      A,
      a,
      B,
      b,
      A.send(b.deviceId, Uint8Array.of(99)).filter((o) => o.type === 'send'),
    );
    expect(r.y).toEqual(Array.from({ length: 10 }, (_, i) => Uint8Array.of(i)));
  });

  it('size limits: payloads over 1950 bytes throw, packets over 1999 bytes are dropped', () => {
    const A = layer(a, 19);
    expect(() => A.send(b.deviceId, new Uint8Array(1951))).toThrow(NatbaseError);
    expect(A.send(b.deviceId, new Uint8Array(1950)).length).toBeGreaterThan(0);
    expect(drops(A.receive(b.deviceId, new Uint8Array(2000)))).toEqual(['PAYLOAD_TOO_LARGE']);
    const small = layer(a, 19, { t: 0 }, { limits: { maxPayloadLength: 10 } });
    expect(() => small.send(b.deviceId, new Uint8Array(11))).toThrow(NatbaseError);
  });

  it('maxPeers bounds the peer table', () => {
    const A = layer(a, 30, { t: 0 }, { limits: { maxPeers: 1 } });
    A.send(b.deviceId, Uint8Array.of(1));
    expect(drops(A.send(testIdentity(3).deviceId, Uint8Array.of(1)))).toEqual(['TOO_MANY_PEERS']);
    expect(drops(A.receive(testIdentity(3).deviceId, new Uint8Array(60)))).toEqual([
      'TOO_MANY_PEERS',
    ]);
  });

  it('heartbeats: answered in the clear, RTT from the injected clock, valid for 10 s', () => {
    const clock = { t: 1000 };
    const A = layer(a, 31, clock);
    const B = layer(b, 32, clock);
    const ping = sends(A.heartbeat(b.deviceId))[0]!;
    expect(ping.length).toBe(9);
    expect(ping[0]).toBe(4);
    const pong = sends(B.receive(a.deviceId, ping))[0]!;
    expect(pong).toEqual(cat([5], ping.subarray(1)));
    clock.t = 1042;
    expect(A.receive(b.deviceId, pong)).toEqual([{ type: 'latency', peer: b.deviceId, rttMs: 42 }]);
    expect(A.peer(b.deviceId)?.latencyMs).toBe(42);
    expect(drops(A.receive(b.deviceId, pong))).toEqual(['BAD_VALUE']); // answered once only
    clock.t = 1042 + 10_001;
    expect(A.peer(b.deviceId)?.latencyMs).toBeUndefined();
  });

  it('fast-check: arbitrary packets and calls in any order never throw, and a handshake still works after', () => {
    const c = testIdentity(3);
    const peers = [b.deviceId, c.deviceId];
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              t: fc.constant('rx' as const),
              p: fc.nat(1),
              bytes: fc.uint8Array({ maxLength: 200 }),
            }),
            fc.record({
              t: fc.constant('rx' as const),
              p: fc.nat(1),
              bytes: fc
                .constantFrom(0, 1, 2, 3, 4, 5)
                .chain((k) =>
                  fc.uint8Array({ minLength: 8, maxLength: 170 }).map((r) => cat([k], r)),
                ),
            }),
            fc.record({
              t: fc.constant('tx' as const),
              p: fc.nat(1),
              bytes: fc.uint8Array({ maxLength: 100 }),
            }),
            fc.record({
              t: fc.constant('hb' as const),
              p: fc.nat(1),
              bytes: fc.constant(new Uint8Array(0)),
            }),
            fc.record({
              t: fc.constant('re' as const),
              p: fc.nat(1),
              bytes: fc.constant(new Uint8Array(0)),
            }),
            fc.record({
              t: fc.constantFrom('timer' as const, 'path' as const),
              p: fc.nat(1),
              bytes: fc.constant(new Uint8Array(0)),
            }),
          ),
          { maxLength: 9 }, // fewer sends than the queue holds, so the last one is queued
        ),
        (events) => {
          const clock = { t: 0 };
          const A = layer(a, 40, clock, { limits: { helloRetryMs: 10, maxHelloRetries: 2 } });
          for (const e of events) {
            clock.t += 7;
            const peer = peers[e.p]!;
            const out =
              e.t === 'rx'
                ? A.receive(peer, e.bytes)
                : e.t === 'tx'
                  ? A.send(peer, e.bytes)
                  : e.t === 'hb'
                    ? A.heartbeat(peer)
                    : e.t === 're'
                      ? A.renegotiate(peer)
                      : e.t === 'timer'
                        ? A.timer()
                        : A.pathChanged(peer);
            for (const o of out)
              expect(['send', 'deliver', 'established', 'latency', 'drop']).toContain(o.type);
          }
          const B = layer(b, 41);
          expect(pump(A, a, B, b, A.send(b.deviceId, te.encode('ok'))).y).toContainEqual(
            te.encode('ok'),
          );
        },
      ),
      { numRuns: Math.min(200, Number(process.env.FC_NUM_RUNS ?? 200)) },
    );
  });
});
