import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  decodeBaseToPeer,
  encodePeerToBase,
  encodeRecord,
  type Identity,
  meetsProofOfWork,
  parseEndpoint,
  sealPeerToBase,
} from '../../src/index.js';
import type { BaseServerAction } from '../../src/server/index.js';
import { seededRandom, testIdentity } from '../helpers.js';
import { type BaseNode, Net } from './sim.js';

function badPow(): Identity {
  const random = seededRandom(77);
  for (;;) {
    const secretKey = random(32);
    const publicKey = ed25519.getPublicKey(secretKey);
    if (meetsProofOfWork(publicKey)) continue;
    const deviceId = new Uint8Array(16);
    deviceId.set([0xfc, 0x94]);
    deviceId.set(sha256(publicKey).subarray(3, 17), 2);
    return { secretKey, publicKey, deviceId };
  }
}

/** An attacker speaking to the base directly, on connection ids the hosts never use. */
class Attacker {
  #conn = 100_000;
  readonly cookies = new Map<number, Uint8Array>();

  constructor(
    readonly net: Net,
    readonly base: BaseNode,
  ) {}

  #apply(actions: BaseServerAction[]): void {
    for (const a of actions) {
      if (a.type === 'send' && a.transport === 'tcp' && a.conn >= 100_000) {
        const m = decodeBaseToPeer(a.bytes.subarray(5));
        if (m.kind === 'HELLO') this.cookies.set(a.conn, m.cookie);
      }
    }
    this.base.apply(actions);
  }

  open(ip = '203.0.113.66'): number {
    const conn = this.#conn++;
    this.#apply(
      this.base.server.tcpOpen(conn, parseEndpoint(`${ip}:${conn % 60000}`), this.net.now),
    );
    return conn;
  }

  tcp(conn: number, bytes: Uint8Array): void {
    this.#apply(this.base.server.tcpData(conn, bytes, this.net.now));
  }

  close(conn: number): void {
    this.#apply(this.base.server.tcpClosed(conn, this.net.now));
  }

  udp(from: string, bytes: Uint8Array): void {
    this.#apply(
      this.base.server.udpData(this.base.udp[0]!, parseEndpoint(from), bytes, this.net.now),
    );
  }
}

describe('hostile input at the base, with everyone else still served', () => {
  it('bad signatures, failed proofs of work, replays, spoofing, oversize frames, floods and silence', () => {
    const net = new Net(9);
    const base = net.addBase('b0', '198.51.100.1', {
      bindTimeoutMs: 10_000,
      maxConnectionsPerIp: 16,
    });
    const a = net.addHost('a', testIdentity(11), {
      lanIp: '192.168.1.10',
      lan: 'lanA',
      nat: net.addNat('203.0.113.10', 'symmetric'), // relayed, so the base serves every packet
      bases: [base],
    });
    const b = net.addHost('b', testIdentity(12), {
      lanIp: '192.168.2.20',
      lan: 'lanB',
      nat: net.addNat('203.0.113.20', 'eim'),
      bases: [base],
    });
    const captured: { kind: number; bytes: Uint8Array }[] = [];
    net.tap = (_src, _to, bytes) => {
      if (bytes[0] === 3 && bytes.length === 137) captured.push({ kind: 3, bytes });
    };
    a.start();
    b.start();
    net.runFor(2_000);
    const observedA = base.server.observedAddressOf(a.id);
    expect(observedA).toBeDefined();

    const evil = new Attacker(net, base);
    const e = testIdentity(14);
    const cookie = (conn: number) => {
      const c = evil.cookies.get(conn);
      if (!c) throw new Error(`attack connection ${conn} was refused`);
      return c;
    };
    const round = (i: number) => {
      // 1. a bad signature
      const c1 = evil.open('203.0.113.61');
      const info = sealPeerToBase({ kind: 'INFO', addresses: [] }, e, cookie(c1));
      info[info.length - 3]! ^= 0x40;
      evil.tcp(c1, encodeRecord(info));
      // 2. a key that fails the proof of work
      const c2 = evil.open('203.0.113.62');
      evil.tcp(
        c2,
        encodeRecord(sealPeerToBase({ kind: 'INFO', addresses: [] }, badPow(), cookie(c2))),
      );
      // 3. a replayed cookie: a dead connection's, signed by a valid identity
      const c3 = evil.open('203.0.113.63');
      const dead = cookie(c3);
      evil.close(c3);
      evil.udp(
        '203.0.113.66:4000',
        sealPeerToBase({ kind: 'NAT_INIT', counter: BigInt(i + 1) }, e, dead),
      );
      // 4. a's NAT_INIT replayed from a spoofed source
      const last = captured.at(-1);
      if (last) evil.udp('203.0.113.66:4001', last.bytes);
      // 5. DATA claiming to be a: over UDP from elsewhere, and over TCP on e's own connection
      evil.udp(
        '203.0.113.66:4002',
        encodePeerToBase({ kind: 'DATA', source: a.id, target: b.id, data: Uint8Array.of(1) }),
      );
      const c5 = evil.open('203.0.113.65');
      evil.tcp(c5, encodeRecord(sealPeerToBase({ kind: 'INFO', addresses: [] }, e, cookie(c5))));
      evil.tcp(
        c5,
        encodeRecord(
          encodePeerToBase({ kind: 'DATA', source: a.id, target: b.id, data: Uint8Array.of(1) }),
        ),
      );
      // 6. an oversize frame
      const c6 = evil.open('203.0.113.66');
      evil.tcp(c6, Uint8Array.of(0x17, 0x03, 0x03, 0xff, 0xff, 1, 2, 3));
      // 7. floods: garbage and signed datagrams from one IP
      for (let k = 0; k < 200; k++)
        evil.udp(`203.0.113.67:${k + 1}`, Uint8Array.of(k & 0xff, 1, 2));
      const flood = sealPeerToBase({ kind: 'NAT_INIT', counter: 1n }, e, new Uint8Array(16));
      for (let k = 0; k < 200; k++) evil.udp('203.0.113.68:9', flood);
      // 8. connections that never speak
      for (let k = 0; k < 20; k++) evil.open(`203.0.113.${100 + (k % 5)}`);
    };

    for (let i = 0; i < 20; i++) {
      round(i);
      a.send(b, `ping ${i}`);
      b.send(a, `ping ${100 + i}`);
      net.runFor(1_500);
    }
    net.runFor(15_000);

    // everyone else served: every ping answered, a's observed address unmoved
    expect(a.textsFrom(b).filter((t) => /^pong \d+$/.test(t))).toHaveLength(20);
    expect(b.textsFrom(a).filter((t) => /^pong \d+$/.test(t))).toHaveLength(20);
    expect(base.server.observedAddressOf(a.id)).toEqual(observedA);
    const d = base.server.stats.drops;
    expect(d['bad-signature']).toBe(20);
    expect(d['bad-device-id']).toBe(20);
    expect(d['bad-cookie']).toBeGreaterThanOrEqual(20);
    expect(d.replay).toBeGreaterThanOrEqual(19);
    expect(d['spoofed-source']).toBe(40);
    expect(d['bad-frame']).toBe(20);
    expect(d['rate-limited']).toBeGreaterThan(3_000); // the signed flood, refused before verifying
    expect(d.malformed).toBeGreaterThan(1_000);
    expect(d['connection-limit']).toBeGreaterThan(0); // at most 16 silent ones per IP
    // the silent ones were cut after 10 s; only the two hosts and e's bound connections are left
    const bound = base.server.stats.devicesConnected;
    expect(bound).toBe(3);
    expect(base.server.stats.connections).toBeLessThanOrEqual(3 + 20);
  });
});
