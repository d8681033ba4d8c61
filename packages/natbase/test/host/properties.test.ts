import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostAgent, type HostAgentAction } from '../../src/host/index.js';
import {
  encodeBaseToPeer,
  encodeMulticast,
  encodePeerToPeer,
  encodeRecord,
  NatbaseError,
  parseEndpoint,
  signPeerHello,
} from '../../src/index.js';
import { seededRandom, testIdentity } from '../helpers.js';
import { BASE_UDP, BASE1, BASE2, COOKIE, toPeers } from './harness.js';

const ME = testIdentity(11);
const PEERS = [testIdentity(12), testIdentity(13)];
const ADDRS = ['203.0.113.20:20000', '192.168.1.20:5582', '198.51.100.1:5583'].map(parseEndpoint);

type Event =
  | { t: 'start' }
  | { t: 'connected'; conn: number }
  | { t: 'closed'; conn: number }
  | { t: 'tcp-bytes'; conn: number; bytes: Uint8Array }
  | { t: 'tcp-msg'; conn: number; m: number; peer: number; n: number }
  | { t: 'udp-base'; m: number; n: number }
  | { t: 'udp-bytes'; from: number; bytes: Uint8Array }
  | { t: 'udp-hello'; from: number; peer: number; reply: boolean; cookie: 'current' | 'zero' }
  | { t: 'udp-data'; from: number }
  | { t: 'multicast'; peer: number; from: number; bytes?: Uint8Array }
  | { t: 'send'; peer: number; n: number }
  | { t: 'local'; n: number }
  | { t: 'time'; ms: number }
  /** send, DEVICE_ADDRESSES and the HELLO_REPLY with the cookie: the way to a direct path. */
  | { t: 'establish'; peer: number };

const conn = fc.oneof({ arbitrary: fc.constant(1), weight: 3 }, fc.integer({ min: 1, max: 6 }));
const peer = fc.integer({ min: 0, max: 1 });
const from = fc.integer({ min: 0, max: 2 });
const event: fc.Arbitrary<Event> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('establish' as const), peer }), weight: 2 },
  fc.record({ t: fc.constant('start' as const) }),
  fc.record({ t: fc.constant('connected' as const), conn }),
  fc.record({ t: fc.constant('closed' as const), conn }),
  fc.record({
    t: fc.constant('tcp-bytes' as const),
    conn,
    bytes: fc.uint8Array({ maxLength: 60 }),
  }),
  {
    arbitrary: fc.record({
      t: fc.constant('tcp-msg' as const),
      conn,
      m: fc.integer({ min: 0, max: 3 }),
      peer,
      n: fc.integer({ min: 1, max: 5 }),
    }),
    weight: 3,
  },
  fc.record({
    t: fc.constant('udp-base' as const),
    m: fc.integer({ min: 0, max: 2 }),
    n: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    t: fc.constant('udp-bytes' as const),
    from,
    bytes: fc.uint8Array({ maxLength: 160 }),
  }),
  {
    arbitrary: fc.record({
      t: fc.constant('udp-hello' as const),
      from,
      peer,
      reply: fc.boolean(),
      cookie: fc.constantFrom('current' as const, 'zero' as const),
    }),
    weight: 2,
  },
  fc.record({ t: fc.constant('udp-data' as const), from }),
  fc.record({
    t: fc.constant('multicast' as const),
    peer,
    from,
    bytes: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: undefined }),
  }),
  {
    arbitrary: fc.record({
      t: fc.constant('send' as const),
      peer,
      n: fc.integer({ min: 0, max: 2100 }),
    }),
    weight: 3,
  },
  fc.record({ t: fc.constant('local' as const), n: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ t: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
);

describe('host agent under arbitrary event orders', () => {
  it('never throws but typed errors, stays bounded, writes only to connections it opened', () => {
    let direct = 0;
    fc.assert(
      fc.property(fc.boolean(), fc.array(event, { maxLength: 40 }), (connected, events) => {
        const agent = new HostAgent({
          identity: ME,
          bases: [BASE1, BASE2],
          sourcePort: 5582,
          random: seededRandom(5),
          limits: { maxPeers: 2 },
        });
        let now = 0;
        const open = new Set<number>();
        const cookies = new Map<number, Uint8Array>();
        const apply = (actions: HostAgentAction[]) => {
          for (const a of actions) {
            if (a.type === 'connect') open.add(a.conn);
            if (a.type === 'close') open.delete(a.conn);
            if (a.type === 'send' && a.transport === 'tcp') {
              expect(open.has(a.conn)).toBe(true);
              expect(a.bytes.length - 5).toBeLessThanOrEqual(1994);
            }
          }
          for (const { msg } of toPeers(actions)) {
            if (msg.kind !== 'HELLO') continue;
            const i = PEERS.findIndex((p) => p.deviceId.every((b, k) => b === msg.yourId[k]));
            if (i >= 0) cookies.set(i, msg.helloCookie);
          }
        };
        const run = (fn: () => HostAgentAction[]) => {
          try {
            apply(fn());
          } catch (e) {
            if (!(e instanceof NatbaseError)) throw e;
          }
        };
        if (connected) {
          // half the runs start from a base in use, to reach the deeper states
          run(() => agent.start(now));
          run(() => agent.tcpConnected(1, now));
          const hello = encodeRecord(encodeBaseToPeer({ kind: 'HELLO', cookie: COOKIE }));
          const state = encodeRecord(encodeBaseToPeer({ kind: 'STATE', addresses: BASE_UDP }));
          run(() => agent.tcpData(1, hello, now));
          run(() => agent.tcpData(1, state, now));
        }
        for (const e of events) {
          switch (e.t) {
            case 'start':
              run(() => agent.start(now));
              break;
            case 'connected':
              run(() => agent.tcpConnected(e.conn, now));
              break;
            case 'closed':
              open.delete(e.conn);
              run(() => agent.tcpClosed(e.conn, now));
              break;
            case 'tcp-bytes':
              run(() => agent.tcpData(e.conn, e.bytes, now));
              break;
            case 'tcp-msg': {
              const p = PEERS[e.peer]!;
              const msgs = [
                encodeBaseToPeer({ kind: 'HELLO', cookie: COOKIE }),
                encodeBaseToPeer({ kind: 'STATE', addresses: BASE_UDP.slice(0, e.n % 2 ? 1 : 2) }),
                encodeBaseToPeer({
                  kind: 'DEVICE_ADDRESSES',
                  deviceId: p.deviceId,
                  addresses: ADDRS.slice(0, 1 + (e.n % 3)),
                }),
                encodeBaseToPeer({ kind: 'DATA', source: p.deviceId, data: new Uint8Array(e.n) }),
              ];
              run(() => agent.tcpData(e.conn, encodeRecord(msgs[e.m]!), now));
              break;
            }
            case 'udp-base': {
              const msgs = [
                encodeBaseToPeer({ kind: 'NAT_OK' }),
                encodeBaseToPeer({
                  kind: 'DATA',
                  source: PEERS[0]!.deviceId,
                  data: new Uint8Array(e.n),
                }),
                new Uint8Array(e.n),
              ];
              run(() => agent.udpData(BASE_UDP[0]!, msgs[e.m]!, now));
              break;
            }
            case 'udp-bytes':
              run(() => agent.udpData(ADDRS[e.from]!, e.bytes, now));
              break;
            case 'udp-hello': {
              const c = (e.cookie === 'current' && cookies.get(e.peer)) || new Uint8Array(16);
              const m = signPeerHello(
                e.reply ? 'HELLO_REPLY' : 'HELLO',
                PEERS[e.peer]!,
                ME.deviceId,
                c,
              );
              run(() => agent.udpData(ADDRS[e.from]!, encodePeerToPeer(m), now));
              break;
            }
            case 'udp-data':
              run(() => agent.udpData(ADDRS[e.from]!, Uint8Array.of(2, 1, 2, 3), now));
              break;
            case 'multicast': {
              const bytes =
                e.bytes ?? encodeMulticast({ port: 5582, deviceId: PEERS[e.peer]!.deviceId });
              run(() => agent.multicastData({ ip: ADDRS[e.from]!.ip, port: 5581 }, bytes, now));
              break;
            }
            case 'send':
              run(() => agent.send(PEERS[e.peer]!.deviceId, new Uint8Array(e.n), now));
              break;
            case 'local':
              run(() => agent.setLocalAddresses(ADDRS.slice(0, e.n), now));
              break;
            case 'establish': {
              const p = PEERS[e.peer]!;
              run(() => agent.send(p.deviceId, Uint8Array.of(1), now));
              const m = encodeBaseToPeer({
                kind: 'DEVICE_ADDRESSES',
                deviceId: p.deviceId,
                addresses: [ADDRS[0]!],
              });
              run(() => agent.tcpData(1, encodeRecord(m), now));
              const c = cookies.get(e.peer) ?? new Uint8Array(16);
              const reply = signPeerHello('HELLO_REPLY', p, ME.deviceId, c);
              run(() => agent.udpData(ADDRS[0]!, encodePeerToPeer(reply), now));
              break;
            }
            case 'time':
              now += e.ms;
              run(() => agent.timer(now));
              break;
          }
          expect(agent.stats.peers).toBeLessThanOrEqual(2);
          direct += agent.peers().filter((p) => p.path === 'direct').length;
        }
      }),
      // at most 300 runs by default (each run signs and verifies); NATBASE_STATE_RUNS raises it
      {
        numRuns: Math.min(
          fc.readConfigureGlobal().numRuns ?? 300,
          Number(process.env.NATBASE_STATE_RUNS ?? 300),
        ),
      },
    );
    expect(direct).toBeGreaterThan(0); // the runs reach direct paths, not only refusals
  });
});
