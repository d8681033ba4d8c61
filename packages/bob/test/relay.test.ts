import { concatBytes, fromHex, toHex, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BobClient,
  BobRelay,
  type BobRelayEvent,
  BobServer,
  encodeFrame,
  generateSecret,
  type RelayAction,
} from '../src/index.js';
import { Sim, scripted } from './sim.js';
import { VECTOR_A } from './spec-vectors.js';

const ascii = (s: string) => toHex(utf8Encode(s));
const sends = (actions: RelayAction[], conn: number) =>
  toHex(
    concatBytes(...actions.flatMap((a) => (a.type === 'send' && a.conn === conn ? [a.bytes] : []))),
  );

describe('relay: the worked example of spec §5, byte for byte', () => {
  it('replays the exchange through the relay core', () => {
    const relay = new BobRelay();
    const S = 1;
    const C = 2;
    const sIdentity = '127.0.0.1:47922';
    const cIdentity = '127.0.0.1:48182';
    relay.connect(S, { identity: sIdentity, address: '127.0.0.1' }, 0);
    let a = relay.receive(S, fromHex(ascii('000000') + VECTOR_A.public), 0);
    expect(sends(a, S)).toBe(ascii('000002127.0.0.1:47922\0'));
    relay.connect(C, { identity: cIdentity, address: '127.0.0.1' }, 0);
    a = relay.receive(C, utf8Encode('000001'), 0);
    expect(sends(a, C)).toBe(
      ascii('000003127.0.0.1:48182\0') +
        ascii('0000040001') +
        VECTOR_A.public +
        ascii('127.0.0.1:47922\0'),
    );
    a = relay.receive(C, fromHex(ascii('000107') + VECTOR_A.X + ascii('127.0.0.1:48182\0')), 0);
    expect(sends(a, S)).toBe(ascii('000207') + VECTOR_A.X + ascii('127.0.0.1:48182\0'));
    a = relay.receive(S, fromHex(ascii('000206') + VECTOR_A.Y + VECTOR_A.v2), 0);
    expect(sends(a, C)).toBe(ascii('000106') + VECTOR_A.Y + VECTOR_A.v2);
    a = relay.receive(C, fromHex(ascii('000105') + VECTOR_A.v3), 0);
    expect(sends(a, S)).toBe(ascii('000205') + VECTOR_A.v3);
    a = relay.receive(S, utf8Encode('000208'), 0);
    expect(sends(a, C)).toBe(ascii('000108'));
    a = relay.receive(C, utf8Encode('00010a'), 0);
    expect(a).toEqual([
      { type: 'send', conn: S, bytes: utf8Encode('00020a') },
      { type: 'close', conn: S },
      { type: 'send', conn: C, bytes: utf8Encode('00000e') },
      { type: 'close', conn: C },
    ]);
    relay.disconnect(S, 0);
    relay.disconnect(C, 0);
    // Secure room: each side writes its partner's identity and a newline.
    relay.secureConnect(3, '127.0.0.1', 1);
    relay.secureConnect(4, '127.0.0.1', 1);
    expect(relay.secureReceive(3, utf8Encode('127.0.0.1:48182\n'), 1)).toEqual([]);
    expect(relay.secureReceive(4, utf8Encode('127.0.0.1:47922\n'), 1)).toEqual([
      { type: 'send', conn: 3, bytes: utf8Encode('00') },
      { type: 'send', conn: 4, bytes: utf8Encode('00') },
      { type: 'pipe', a: 3, b: 4 },
    ]);
    // When one side of the pipe ends, bob writes ff ff ff ff to both and closes both.
    expect(relay.secureDisconnect(4, 2)).toEqual([
      { type: 'send', conn: 4, bytes: Uint8Array.of(255, 255, 255, 255) },
      { type: 'send', conn: 3, bytes: Uint8Array.of(255, 255, 255, 255) },
      { type: 'close', conn: 4 },
      { type: 'close', conn: 3 },
    ]);
    expect(relay.stats).toMatchObject({ pairings: 1, securePaired: 1, connections: 0 });
  });

  it('the sender and receiver cores produce exactly those bytes (vector A scalars)', () => {
    const sim = new Sim();
    const secret = generateSecret(VECTOR_A.password, { salt: fromHex(VECTOR_A.salt) });
    const server = sim.add(
      'S',
      new BobServer({ secret, random: scripted(fromHex(VECTOR_A.y)) }),
      47922,
    );
    const client = sim.add(
      'C',
      new BobClient({ password: VECTOR_A.password, random: scripted(fromHex(VECTOR_A.x)) }),
      48182,
    );
    expect(toHex(sim.bytesTo(server))).toBe(
      ascii('000002127.0.0.1:47922\0') +
        ascii('000207') +
        VECTOR_A.X +
        ascii('127.0.0.1:48182\0') +
        ascii('000205') +
        VECTOR_A.v3 +
        ascii('00020a'),
    );
    expect(toHex(sim.bytesTo(client))).toBe(
      ascii('000003127.0.0.1:48182\0') +
        ascii('0000040001') +
        VECTOR_A.public +
        ascii('127.0.0.1:47922\0') +
        ascii('000106') +
        VECTOR_A.Y +
        VECTOR_A.v2 +
        ascii('000108') +
        ascii('00000e'),
    );
    expect(server.result?.peerIdentity).toBe('127.0.0.1:48182');
    expect(client.result?.peerIdentity).toBe('127.0.0.1:47922');
    expect(toHex(client.result!.sharedKeys.client)).toBe(VECTOR_A.clientSk);
    expect(toHex(server.result!.sharedKeys.server)).toBe(VECTOR_A.serverSk);
  });
});

describe('relay routing and drops (spec §1.3, §12)', () => {
  function setup() {
    const events: BobRelayEvent[] = [];
    const relay = new BobRelay({ onEvent: (e) => events.push(e) });
    const pub = fromHex(VECTOR_A.public);
    const hello = (conn: number, kind: 'server' | 'client') => {
      relay.connect(conn, { identity: `10.0.0.${conn}:1`, address: `10.0.0.${conn}` }, 0);
      return relay.receive(
        conn,
        encodeFrame(
          0,
          kind === 'server'
            ? { type: 'hello-as-a-server', public: pub }
            : { type: 'hello-as-a-client' },
        ),
        0,
      );
    };
    return { relay, events, hello, pub };
  }
  const X = fromHex(VECTOR_A.X);

  it('announces every server to every client, whichever came first', () => {
    const { hello } = setup();
    hello(1, 'client');
    const a = hello(2, 'server'); // uid 2: broadcast to the client (uid 1)
    expect(sends(a, 1)).toBe(ascii('0000040002') + VECTOR_A.public + ascii('10.0.0.2:1\0'));
    const b = hello(3, 'client'); // gets the existing server
    expect(sends(b, 3)).toContain(ascii('0000040002'));
  });

  it('drops client→client, server→server, unregistered senders, wrong hellos and Closed to the relay', () => {
    const { relay, events, hello, pub } = setup();
    hello(1, 'client');
    hello(2, 'client');
    hello(3, 'server');
    hello(4, 'server');
    const dropped = () =>
      events.filter((e) => e.type === 'dropped').map((e) => (e as { reason: string }).reason);
    // The destination kind comes from the packet type (spec §1.3): 08 goes to a client, 05 to a server.
    expect(relay.receive(1, encodeFrame(2, { type: 'agreement' }), 0)).toEqual([]);
    expect(
      relay.receive(
        3,
        encodeFrame(4, { type: 'client-validator', validator: new Uint8Array(64) }),
        0,
      ),
    ).toEqual([]);
    relay.connect(9, { identity: '10.0.0.9:1', address: '10.0.0.9' }, 0);
    expect(relay.receive(9, encodeFrame(3, { type: 'accepted' }), 0)).toEqual([]);
    expect(relay.receive(1, encodeFrame(0, { type: 'hello-as-a-server', public: pub }), 0)).toEqual(
      [],
    );
    expect(relay.receive(1, encodeFrame(0, { type: 'closed', uid: 3 }), 0)).toEqual([]);
    expect(dropped()).toEqual([
      'a client cannot talk to another client',
      'a server cannot talk to another server',
      'the sender has not said hello',
      'a registered client said hello as a server',
      'not a packet for the relay',
    ]);
    expect(relay.stats.dropped).toBe(5);
  });

  it('tells a peer with 09 when its destination does not exist', () => {
    const { relay, hello } = setup();
    hello(1, 'client');
    const a = relay.receive(
      1,
      encodeFrame(0x77, { type: 'x-and-client-identity', X, identity: 'x' }),
      0,
    );
    expect(sends(a, 1)).toBe(ascii('0000090077'));
  });

  it('forwards Refused to the server and unlinks the pair', () => {
    const { relay, events, hello } = setup();
    hello(1, 'server');
    hello(2, 'client');
    const a = relay.receive(2, encodeFrame(1, { type: 'refused' }), 0);
    expect(sends(a, 1)).toBe(ascii('00020b'));
    expect(events.some((e) => e.type === 'refused')).toBe(true);
    // No longer candidates: the handshake packets between them are dropped.
    expect(
      relay.receive(2, encodeFrame(1, { type: 'x-and-client-identity', X, identity: 'x' }), 0),
    ).toEqual([]);
    // Spoke_failure still travels (to the kind opposite to the sender's).
    expect(
      sends(relay.receive(1, encodeFrame(2, { type: 'spoke-failure', failure: 1 }), 0), 2),
    ).toBe(`${ascii('00010d')}01`);
  });

  it('parses and logs N0000 and the other Relay_failure kinds', () => {
    const { relay, events, hello } = setup();
    hello(1, 'client');
    relay.receive(1, utf8Encode('00000cN0000'), 0);
    relay.receive(1, utf8Encode('00000cS0002'), 0);
    expect(
      events
        .filter((e) => e.type === 'relay-failure')
        .map((e) => (e as { failure: unknown }).failure),
    ).toEqual([{ kind: 'no-agreement' }, { kind: 'invalid-server', uid: 2 }]);
  });

  it('cleans up eagerly: a disconnected server is announced gone with 09 to its candidates', () => {
    const { relay, hello } = setup();
    hello(1, 'server');
    hello(2, 'client');
    hello(3, 'client');
    const a = relay.disconnect(1, 0);
    expect(sends(a, 2)).toBe(ascii('0000090001'));
    expect(sends(a, 3)).toBe(ascii('0000090001'));
    expect(relay.stats).toMatchObject({ servers: 0, clients: 2, connections: 2 });
  });

  it('closes a connection that sends garbage, and cleans up after it', () => {
    const { relay, events, hello } = setup();
    hello(1, 'server');
    hello(2, 'client');
    const a = relay.receive(1, utf8Encode('zzzzzz'), 0);
    expect(a).toContainEqual({ type: 'close', conn: 1 });
    expect(sends(a, 2)).toBe(ascii('0000090001'));
    expect(events.some((e) => e.type === 'protocol-error')).toBe(true);
  });

  it('keeps a re-hello on its uid and answers again', () => {
    const { relay, hello, pub } = setup();
    hello(1, 'server');
    const a = relay.receive(1, encodeFrame(0, { type: 'hello-as-a-server', public: pub }), 0);
    expect(sends(a, 1)).toBe(ascii('00000210.0.0.1:1\0'));
    expect(relay.stats.servers).toBe(1);
  });

  it('uses every uid from 1 to 0xffff, wraps to 1 and skips uids in use', () => {
    const seen: number[] = [];
    const events: BobRelayEvent[] = [];
    const r2 = new BobRelay({ onEvent: (e) => events.push(e) });
    r2.connect(1, { identity: 'keep:1', address: 'k' }, 0); // uid 1 stays registered throughout
    r2.receive(1, utf8Encode('000001'), 0);
    for (let i = 0; i < 0xffff + 1; i++) {
      const conn = 10 + i;
      r2.connect(conn, { identity: `p:${i}`, address: 'p' }, 0);
      r2.receive(conn, utf8Encode('000001'), 0);
      r2.disconnect(conn, 0);
    }
    for (const e of events) if (e.type === 'registered') seen.push(e.uid);
    expect(seen[0]).toBe(1);
    expect(seen).toContain(0xffff);
    // After 0xffff the counter wraps to 1, which is taken: the next registration gets 2.
    expect(seen[seen.indexOf(0xffff) + 1]).toBe(2);
    expect(seen).not.toContain(0);
    // uid 0xffff routes like any other.
    const r3 = new BobRelay({ onEvent: () => {} });
    for (let i = 1; i < 0xffff; i++) {
      r3.connect(i, { identity: `x:${i}`, address: 'x' }, 0);
      r3.receive(i, utf8Encode('000001'), 0);
      r3.disconnect(i, 0);
    }
    r3.connect(100_000, { identity: 'last:1', address: 'l' }, 0);
    r3.receive(
      100_000,
      encodeFrame(0, { type: 'hello-as-a-server', public: fromHex(VECTOR_A.public) }),
      0,
    );
    r3.connect(100_001, { identity: 'c:1', address: 'c' }, 0);
    const a = r3.receive(100_001, utf8Encode('000001'), 0);
    expect(sends(a, 100_001)).toContain(ascii('000004ffff'));
    const b = r3.receive(
      100_001,
      encodeFrame(0xffff, { type: 'x-and-client-identity', X, identity: 'c:1' }),
      0,
    );
    expect(sends(b, 100_000)).toBe(ascii('000107') + VECTOR_A.X + ascii('c:1\0'));
  });
});

describe('relay timeouts (spec §4, §12)', () => {
  it('resets the idle timeout on activity, and sends 0f then 09 notices when it fires', () => {
    const events: BobRelayEvent[] = [];
    const relay = new BobRelay({
      limits: { idleTimeoutMs: 1000, maxLifetimeMs: 10_000 },
      onEvent: (e) => events.push(e),
    });
    relay.connect(1, { identity: 'a:1', address: 'a' }, 0);
    relay.receive(
      1,
      encodeFrame(0, { type: 'hello-as-a-server', public: fromHex(VECTOR_A.public) }),
      0,
    );
    relay.connect(2, { identity: 'b:1', address: 'b' }, 0);
    relay.receive(2, utf8Encode('000001'), 900);
    expect(relay.tick(999)).toEqual([]);
    relay.receive(1, utf8Encode('00000cH0002'), 999); // activity
    expect(relay.tick(1500)).toEqual([]); // the client spoke at 900, the server at 999
    const a = relay.tick(1900);
    expect(sends(a, 2)).toBe(ascii('00000f'));
    expect(a).toContainEqual({ type: 'close', conn: 2 });
    expect(sends(a, 1)).toBe(ascii('0000090002'));
    expect(events.filter((e) => e.type === 'timeout')).toEqual([
      { type: 'timeout', conn: 2, why: 'idle' },
    ]);
  });

  it('keeps the overall cap even for a busy connection', () => {
    const relay = new BobRelay({ limits: { idleTimeoutMs: 1000, maxLifetimeMs: 3000 } });
    relay.connect(1, { identity: 'a:1', address: 'a' }, 0);
    relay.receive(1, utf8Encode('000001'), 0);
    for (let t = 500; t < 3000; t += 500) {
      relay.receive(1, utf8Encode('00000cN0000'), t);
      expect(relay.tick(t)).toEqual([]);
    }
    expect(relay.nextDeadline()).toBe(3000);
    expect(relay.tick(3000)).toContainEqual({ type: 'close', conn: 1 });
  });

  it('closes silent unregistered connections without a message', () => {
    const relay = new BobRelay({ limits: { idleTimeoutMs: 1000 } });
    relay.connect(1, { identity: 'a:1', address: 'a' }, 0);
    expect(relay.tick(1000)).toEqual([{ type: 'close', conn: 1 }]);
  });

  it('refuses connections beyond maxPeers', () => {
    const relay = new BobRelay({ limits: { maxPeers: 1 } });
    expect(relay.connect(1, { identity: 'a:1', address: 'a' }, 0)).toEqual([]);
    expect(relay.connect(2, { identity: 'b:1', address: 'b' }, 0)).toEqual([
      { type: 'close', conn: 2 },
    ]);
  });
});

describe('per-address and pre-registration limits', () => {
  it('refuses a connection beyond maxPeersPerAddress from one IP, and counts disconnects back', () => {
    const events: BobRelayEvent[] = [];
    const relay = new BobRelay({
      limits: { maxPeersPerAddress: 2 },
      onEvent: (e) => events.push(e),
    });
    expect(relay.connect(1, { identity: 'a:1', address: 'a' }, 0)).toEqual([]);
    expect(relay.connect(2, { identity: 'a:2', address: 'a' }, 0)).toEqual([]);
    expect(relay.connect(3, { identity: 'a:3', address: 'a' }, 0)).toEqual([
      { type: 'close', conn: 3 },
    ]);
    expect(events.at(-1)).toEqual({
      type: 'rejected',
      conn: 3,
      reason: 'already 2 connections from a',
    });
    expect(relay.connect(4, { identity: 'b:1', address: 'b' }, 0)).toEqual([]);
    relay.disconnect(1, 0);
    expect(relay.connect(5, { identity: 'a:5', address: 'a' }, 0)).toEqual([]);
    expect(relay.stats.connections).toBe(3);
  });

  it('cuts a connection that does not register within registerTimeoutMs; a registered one stays', () => {
    const events: BobRelayEvent[] = [];
    const relay = new BobRelay({
      limits: { registerTimeoutMs: 500 },
      onEvent: (e) => events.push(e),
    });
    relay.connect(1, { identity: 'a:1', address: 'a' }, 0);
    relay.connect(2, { identity: 'b:1', address: 'b' }, 0);
    relay.receive(
      2,
      encodeFrame(0, { type: 'hello-as-a-server', public: fromHex(VECTOR_A.public) }),
      100,
    );
    relay.receive(1, new Uint8Array(0), 400); // activity, but no hello
    expect(relay.nextDeadline()).toBe(500);
    expect(relay.tick(499)).toEqual([]);
    expect(relay.tick(500)).toEqual([{ type: 'close', conn: 1 }]);
    expect(events).toContainEqual({ type: 'timeout', conn: 1, why: 'unregistered' });
    expect(relay.stats.servers).toBe(1);
  });
});

describe('secure room (spec §3)', () => {
  function paired(limits = {}) {
    const relay = new BobRelay({ limits });
    relay.connect(1, { identity: '10.0.0.1:1', address: '10.0.0.1' }, 0);
    relay.receive(
      1,
      encodeFrame(0, { type: 'hello-as-a-server', public: fromHex(VECTOR_A.public) }),
      0,
    );
    relay.connect(2, { identity: '10.0.0.2:2', address: '::ffff:10.0.0.2' }, 0);
    relay.receive(2, utf8Encode('000001'), 0);
    relay.receive(2, utf8Encode('00010a'), 0); // Accepted (the relay does not check the crypto)
    return relay;
  }

  it('answers 02 to an unknown identity, and to bad input', () => {
    const relay = paired();
    relay.secureConnect(3, '10.0.0.1', 0);
    expect(relay.secureReceive(3, utf8Encode('nobody\n'), 0)).toEqual([
      { type: 'send', conn: 3, bytes: utf8Encode('02') },
      { type: 'close', conn: 3 },
    ]);
    relay.secureConnect(4, '10.0.0.1', 0);
    expect(relay.secureReceive(4, new Uint8Array(100).fill(0x41), 0)).toContainEqual({
      type: 'send',
      conn: 4,
      bytes: utf8Encode('02'),
    });
  });

  it('accepts only the addresses that completed the handshake (IPv4-mapped counts as IPv4)', () => {
    const relay = paired();
    relay.secureConnect(3, '10.9.9.9', 0);
    expect(relay.secureReceive(3, utf8Encode('10.0.0.1:1\n'), 0)).toContainEqual({
      type: 'send',
      conn: 3,
      bytes: utf8Encode('02'),
    });
    relay.secureConnect(4, '10.0.0.2', 0);
    expect(relay.secureReceive(4, utf8Encode('10.0.0.1:1\n'), 0)).toEqual([]);
    relay.secureConnect(5, '::ffff:10.0.0.1', 0);
    expect(relay.secureReceive(5, utf8Encode('10.0.0.2:2\n'), 0)).toContainEqual({
      type: 'pipe',
      a: 4,
      b: 5,
    });
  });

  it('can switch the address check off (OCaml behaviour)', () => {
    const relay = paired({ checkSecureAddress: false });
    relay.secureConnect(3, '10.9.9.9', 0);
    relay.secureConnect(4, '10.8.8.8', 0);
    relay.secureReceive(3, utf8Encode('10.0.0.1:1\n'), 0);
    expect(relay.secureReceive(4, utf8Encode('10.0.0.2:2\n'), 0)).toContainEqual({
      type: 'pipe',
      a: 3,
      b: 4,
    });
  });

  it('refuses a second connection for the same side, and pairs in pieces', () => {
    const relay = paired();
    relay.secureConnect(3, '10.0.0.2', 0);
    relay.secureReceive(3, utf8Encode('10.0.0.1'), 0);
    relay.secureReceive(3, utf8Encode(':1\nignored bytes'), 0);
    relay.secureConnect(4, '10.0.0.2', 0);
    expect(relay.secureReceive(4, utf8Encode('10.0.0.1:1\n'), 0)).toContainEqual({
      type: 'send',
      conn: 4,
      bytes: utf8Encode('02'),
    });
  });

  it('times out: 01 before identification, silence while waiting for the partner', () => {
    const relay = paired({ secureIdentifyTimeoutMs: 100, securePairTimeoutMs: 1000 });
    relay.secureConnect(3, '10.0.0.2', 0);
    relay.secureConnect(4, '10.0.0.1', 0);
    relay.secureReceive(4, utf8Encode('10.0.0.2:2\n'), 50);
    expect(relay.tick(100)).toEqual([
      { type: 'send', conn: 3, bytes: utf8Encode('01') },
      { type: 'close', conn: 3 },
    ]);
    expect(relay.tick(1050)).toEqual([{ type: 'close', conn: 4 }]);
  });
});

describe('relay under arbitrary input', () => {
  it('fuzz: any bytes from any connection give actions, never an exception', () => {
    const pub = fromHex(VECTOR_A.public);
    const chunk = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.constantFrom(
        encodeFrame(0, { type: 'hello-as-a-server', public: pub }),
        encodeFrame(0, { type: 'hello-as-a-client' }),
        encodeFrame(1, { type: 'accepted' }),
        encodeFrame(2, { type: 'refused' }),
        encodeFrame(1, { type: 'x-and-client-identity', X: fromHex(VECTOR_A.X), identity: 'x' }),
        encodeFrame(2, { type: 'agreement' }),
        encodeFrame(3, { type: 'spoke-failure', failure: 2 }),
        utf8Encode('10.0.0.1:1\n'),
      ),
    );
    const step = fc.tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom('data', 'secure', 'drop', 'tick'),
      chunk,
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const relay = new BobRelay({ limits: { idleTimeoutMs: 50, secureIdentifyTimeoutMs: 50 } });
        const open = new Set<number>();
        let now = 0;
        for (const [conn, what, bytes] of steps) {
          now += 10;
          if (!open.has(conn) && what !== 'tick') {
            relay.connect(conn, { identity: `10.0.0.${conn}:1`, address: `10.0.0.${conn}` }, now);
            relay.secureConnect(conn + 100, `10.0.0.${conn}`, now);
            open.add(conn);
          }
          const actions =
            what === 'data'
              ? relay.receive(conn, bytes, now)
              : what === 'secure'
                ? relay.secureReceive(conn + 100, bytes, now)
                : what === 'drop'
                  ? relay.disconnect(conn, now)
                  : relay.tick(now);
          for (const a of actions) {
            if (a.type === 'close') relay.disconnect(a.conn, now);
          }
          if (what === 'drop') open.delete(conn);
        }
        expect(relay.stats.connections).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
