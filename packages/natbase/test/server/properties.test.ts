import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBaseToPeer,
  encodePeerToBase,
  encodeRecord,
  type PeerToBaseBody,
  sealPeerToBase,
} from '../../src/index.js';
import { BaseServer, type BaseServerAction } from '../../src/server/index.js';
import { seededRandom, testIdentity } from '../helpers.js';
import { ep, PRIMARY, SECONDARY } from './harness.js';

const IDS = [testIdentity(1), testIdentity(2), testIdentity(3)];
const IPS = ['203.0.113.1', '203.0.113.2', '[2001:db8::5]'];

type Event =
  | { t: 'open'; conn: number; ip: number }
  | { t: 'close'; conn: number }
  | { t: 'tcp-bytes'; conn: number; bytes: Uint8Array }
  | { t: 'tcp-signed'; conn: number; id: number; cookieOf: number; body: number }
  | { t: 'tcp-data'; conn: number; src: number; dst: number; n: number }
  | { t: 'udp-bytes'; ip: number; bytes: Uint8Array }
  | { t: 'udp-signed'; ip: number; id: number; cookieOf: number; kind: number; counter: number }
  | { t: 'udp-data'; ip: number; src: number; dst: number }
  | { t: 'backlog'; conn: number; n: number }
  | { t: 'time'; ms: number }
  /** A whole registration (open, INFO, NAT_INIT, NAT_OK_CONFIRM) of identity `id` on conn id+1. */
  | { t: 'register'; id: number };

const conn = fc.integer({ min: 1, max: 4 });
const id = fc.integer({ min: 0, max: 2 });
const ip = fc.integer({ min: 0, max: 2 });
const event: fc.Arbitrary<Event> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('register' as const), id }), weight: 3 },
  fc.record({ t: fc.constant('open' as const), conn, ip }),
  fc.record({ t: fc.constant('close' as const), conn }),
  fc.record({
    t: fc.constant('tcp-bytes' as const),
    conn,
    bytes: fc.uint8Array({ maxLength: 80 }),
  }),
  fc.record({
    t: fc.constant('tcp-signed' as const),
    conn,
    id,
    cookieOf: conn,
    body: fc.integer({ min: 0, max: 3 }),
  }),
  {
    arbitrary: fc.record({
      t: fc.constant('tcp-data' as const),
      conn,
      src: id,
      dst: id,
      n: fc.integer({ min: 0, max: 2000 }),
    }),
    weight: 2,
  },
  fc.record({ t: fc.constant('udp-bytes' as const), ip, bytes: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({
    t: fc.constant('udp-signed' as const),
    ip,
    id,
    cookieOf: conn,
    kind: fc.integer({ min: 0, max: 2 }),
    counter: fc.integer({ min: 0, max: 4 }),
  }),
  {
    arbitrary: fc.record({ t: fc.constant('udp-data' as const), ip, src: id, dst: id }),
    weight: 2,
  },
  fc.record({ t: fc.constant('backlog' as const), conn, n: fc.integer({ min: 0, max: 100_000 }) }),
  fc.record({ t: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
);

describe('base server under arbitrary event orders', () => {
  it('never throws, keeps its bounds, and only writes to open connections', () => {
    let bound = 0;
    let relayed = 0;
    let confirmed = 0;
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        const server = new BaseServer({
          udpAddresses: [PRIMARY, SECONDARY],
          random: seededRandom(3),
          limits: {
            maxConnections: 3,
            maxConnectionsPerIp: 2,
            maxPendingConnections: 2,
            maxDevices: 2,
          },
        });
        let now = 0;
        const open = new Set<number>();
        const cookies = new Map<number, Uint8Array>();
        let counter = 10n;
        const apply = (actions: BaseServerAction[]) => {
          for (const a of actions) {
            if (a.type === 'send' && a.transport === 'tcp') {
              expect(open.has(a.conn)).toBe(true);
              const msg = decodeBaseToPeer(a.bytes.subarray(5));
              if (msg.kind === 'HELLO') cookies.set(a.conn, msg.cookie);
              expect(a.bytes.length - 5).toBeLessThanOrEqual(1994);
            }
            if (a.type === 'send' && a.transport === 'udp') expect(a.from).toEqual(PRIMARY);
            if (a.type === 'close') {
              open.delete(a.conn);
              cookies.delete(a.conn);
              apply(server.tcpClosed(a.conn, now));
            }
          }
        };
        for (const e of events) {
          switch (e.t) {
            case 'open':
              if (open.has(e.conn)) break;
              open.add(e.conn);
              apply(server.tcpOpen(e.conn, ep(`${IPS[e.ip]}:${1000 + e.conn}`), now));
              break;
            case 'close':
              open.delete(e.conn);
              apply(server.tcpClosed(e.conn, now));
              break;
            case 'tcp-bytes':
              apply(server.tcpData(e.conn, e.bytes, now));
              break;
            case 'tcp-signed': {
              const bodies: PeerToBaseBody[] = [
                { kind: 'INFO', addresses: [ep('192.168.0.1:5582')] },
                { kind: 'REQUEST_INFO', target: IDS[(e.id + 1) % 3]!.deviceId },
                { kind: 'INFO', addresses: [] },
                { kind: 'NAT_INIT', counter: 1n },
              ];
              const cookie = cookies.get(e.cookieOf) ?? new Uint8Array(16);
              const bytes = sealPeerToBase(bodies[e.body]!, IDS[e.id]!, cookie);
              apply(server.tcpData(e.conn, encodeRecord(bytes), now));
              break;
            }
            case 'tcp-data': {
              const data = encodePeerToBase({
                kind: 'DATA',
                source: IDS[e.src]!.deviceId,
                target: IDS[e.dst]!.deviceId,
                data: new Uint8Array(Math.max(1, e.n)),
              });
              if (data.length <= 1994) apply(server.tcpData(e.conn, encodeRecord(data), now));
              break;
            }
            case 'udp-bytes':
              apply(server.udpData(PRIMARY, ep(`${IPS[e.ip]}:5582`), e.bytes, now));
              break;
            case 'udp-signed': {
              const kinds = ['NAT_INIT', 'NAT_OK_CONFIRM', 'NAT_INIT_TRANSIENT'] as const;
              const kind = kinds[e.kind]!;
              const body: PeerToBaseBody =
                kind === 'NAT_INIT_TRANSIENT' ? { kind } : { kind, counter: BigInt(e.counter) };
              const cookie = cookies.get(e.cookieOf) ?? new Uint8Array(16);
              const bytes = sealPeerToBase(body, IDS[e.id]!, cookie);
              apply(server.udpData(SECONDARY, ep(`${IPS[e.ip]}:5582`), bytes, now));
              break;
            }
            case 'udp-data': {
              const bytes = encodePeerToBase({
                kind: 'DATA',
                source: IDS[e.src]!.deviceId,
                target: IDS[e.dst]!.deviceId,
                data: Uint8Array.of(1),
              });
              apply(server.udpData(PRIMARY, ep(`${IPS[e.ip]}:5582`), bytes, now));
              break;
            }
            case 'backlog':
              server.tcpBacklog(e.conn, e.n);
              break;
            case 'register': {
              const c = e.id + 1;
              if (!open.has(c)) {
                open.add(c);
                apply(server.tcpOpen(c, ep(`${IPS[e.id]}:${1000 + c}`), now));
              }
              const cookie = cookies.get(c);
              if (!cookie) break;
              const identity = IDS[e.id]!;
              const info = sealPeerToBase({ kind: 'INFO', addresses: [] }, identity, cookie);
              apply(server.tcpData(c, encodeRecord(info), now));
              counter++;
              for (const kind of ['NAT_INIT', 'NAT_OK_CONFIRM'] as const) {
                const bytes = sealPeerToBase({ kind, counter }, identity, cookie);
                apply(server.udpData(PRIMARY, ep(`${IPS[e.id]}:5582`), bytes, now));
              }
              break;
            }
            case 'time':
              now += e.ms;
              apply(server.timer(now));
              break;
          }
          const s = server.stats;
          expect(s.connections).toBeLessThanOrEqual(3);
          expect(s.devicesConnected).toBeLessThanOrEqual(Math.min(2, s.connections));
        }
        const s = server.stats;
        if (s.devicesConnected > 0) bound++;
        relayed += s.relayedTcp + s.relayedUdp;
        confirmed += s.natConfirmations;
      }),
      // at most 300 runs by default (each run signs and verifies); NATBASE_STATE_RUNS raises it
      {
        numRuns: Math.min(
          fc.readConfigureGlobal().numRuns ?? 300,
          Number(process.env.NATBASE_STATE_RUNS ?? 300),
        ),
      },
    );
    // the runs reach the interesting states, not only the refusals
    expect(bound).toBeGreaterThan(0);
    expect(relayed).toBeGreaterThan(0);
    expect(confirmed).toBeGreaterThan(0);
  });
});
