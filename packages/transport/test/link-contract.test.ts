// The Link contract, checked the same way over every adapter on real loopback sockets.
import { toHex } from '@peerwire/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { expectThrowsCode } from '../../../tooling/test-helpers.js';
import { type LinkKind, TransportError } from '../src/index.js';
import { lengthPrefixed, tlsRecords } from '../src/node/index.js';
import {
  browserPair,
  collect,
  collectErrors,
  dec,
  enc,
  type Pair,
  settle,
  tcpPair,
  udpPair,
  watchClose,
  wsPair,
} from './helpers.js';

interface Kind {
  readonly name: string;
  readonly kind: LinkKind;
  readonly make: () => Promise<Pair>;
  /** The address the client sees for the server (undefined: the platform does not tell). */
  readonly remoteAddress: string | undefined;
  /** Whether the transport carries close codes and reasons to the peer. */
  readonly carriesCloseCode: boolean;
  /** Whether the peer learns of a close at all. */
  readonly notifiesPeer: boolean;
}

const kinds: Kind[] = [
  {
    name: 'WebSocket (ws server, ws client)',
    kind: 'websocket',
    make: () => wsPair(),
    remoteAddress: '127.0.0.1',
    carriesCloseCode: true,
    notifiesPeer: true,
  },
  {
    name: 'WebSocket over IPv6',
    kind: 'websocket',
    make: () => wsPair({ host: '::1' }),
    remoteAddress: '::1',
    carriesCloseCode: true,
    notifiesPeer: true,
  },
  {
    name: 'WebSocket (ws server, browser adapter client)',
    kind: 'websocket',
    make: () => browserPair(),
    remoteAddress: undefined,
    carriesCloseCode: true,
    notifiesPeer: true,
  },
  {
    name: 'TCP, length-prefixed',
    kind: 'tcp',
    make: () => tcpPair(lengthPrefixed()),
    remoteAddress: '127.0.0.1',
    carriesCloseCode: false,
    notifiesPeer: true,
  },
  {
    name: 'TCP, TLS records, IPv6',
    kind: 'tcp',
    make: () => tcpPair(tlsRecords(), '::1'),
    remoteAddress: '::1',
    carriesCloseCode: false,
    notifiesPeer: true,
  },
  {
    name: 'UDP over IPv4',
    kind: 'udp',
    make: () => udpPair('127.0.0.1'),
    remoteAddress: '127.0.0.1',
    carriesCloseCode: false,
    notifiesPeer: false,
  },
  {
    name: 'UDP over IPv6',
    kind: 'udp',
    make: () => udpPair('::1'),
    remoteAddress: '::1',
    carriesCloseCode: false,
    notifiesPeer: false,
  },
];

/** Messages of assorted sizes (0 bytes to 9 KiB) with recognisable content. */
function messages(count: number, tag: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const size = (i * 977) % 9217;
    return Uint8Array.from({ length: size }, (_, j) => (j * 31 + i + tag) & 0xff);
  });
}

describe.each(kinds)('Link contract: $name', { timeout: 15_000 }, (k) => {
  const pairs: Pair[] = [];
  const make = async (): Promise<Pair> => {
    const pair = await k.make();
    pairs.push(pair);
    return pair;
  };
  afterEach(async () => {
    await Promise.all(pairs.splice(0).map((p) => p.cleanup()));
  });

  it('describes itself: kind, unique id, remote address, open', async () => {
    const { server, client } = await make();
    expect(client.kind).toBe(k.kind);
    expect(server.kind).toBe(k.kind);
    expect(client.id).not.toBe(server.id);
    expect(client.id.startsWith(`${k.kind}-`)).toBe(true);
    expect(client.remote?.address).toBe(k.remoteAddress);
    expect(server.remote?.address).toBe(k.remoteAddress ?? '127.0.0.1');
    expect(server.remote?.family).toBe((k.remoteAddress ?? '').includes(':') ? 'IPv6' : 'IPv4');
    expect(client.isOpen && server.isOpen).toBe(true);
    expect(client.bufferedAmount).toBe(0);
  });

  it('carries messages both ways, whole and in order, as plain Uint8Arrays', async () => {
    const { server, client } = await make();
    const up = messages(40, 1);
    const down = messages(40, 2);
    let u: Uint8Array[];
    let d: Uint8Array[];
    if (k.kind === 'udp') {
      // UDP may drop a burst that overflows the receive buffer: one datagram at a time.
      u = [];
      d = [];
      for (let i = 0; i < up.length; i++) {
        const got = Promise.all([collect(server, 1), collect(client, 1)]);
        expect(client.send(up[i]!)).toBe(true);
        expect(server.send(down[i]!)).toBe(true);
        const [[a], [b]] = await got;
        u.push(a!);
        d.push(b!);
      }
    } else {
      const gotUp = collect(server, up.length);
      const gotDown = collect(client, down.length);
      for (const m of up) expect(client.send(m)).toBe(true);
      for (const m of down) expect(server.send(m)).toBe(true);
      [u, d] = await Promise.all([gotUp, gotDown]);
    }
    expect(u.map(toHex)).toEqual(up.map(toHex));
    expect(d.map(toHex)).toEqual(down.map(toHex));
    for (const m of [...u, ...d]) expect(Object.getPrototypeOf(m)).toBe(Uint8Array.prototype);
  });

  it('holds messages that arrive before any message handler, then delivers them in order', async () => {
    const { server, client } = await make();
    for (const s of ['one', 'two', 'three']) server.send(enc(s));
    await settle();
    const got = await collect(client, 3);
    expect(got.map(dec)).toEqual(['one', 'two', 'three']);
  });

  it('a local close fires close once with local: true; the peer learns what it can', async () => {
    const { server, client } = await make();
    const c = watchClose(client);
    const s = watchClose(server);
    client.close(4000, 'bye now');
    expect(client.isOpen).toBe(false);
    expect(await c.closed).toEqual({ code: 4000, reason: 'bye now', local: true });
    if (k.notifiesPeer) {
      const info = await s.closed;
      expect(info.local).toBe(false);
      if (k.carriesCloseCode) expect(info).toEqual({ code: 4000, reason: 'bye now', local: false });
      else expect(info.code).toBe(1000);
    } else {
      await settle();
      expect(server.isOpen).toBe(true);
    }
    client.close(4001, 'again'); // idempotent
    await settle();
    expect(c.count()).toBe(1);
    expect(s.count()).toBe(k.notifiesPeer ? 1 : 0);
  });

  it('a close from the accepting side reaches the connecting side', async () => {
    const { server, client } = await make();
    if (!k.notifiesPeer) return; // UDP has no connection to close; covered by the test above
    const c = watchClose(client);
    const s = watchClose(server);
    server.close(4002, 'server says bye');
    expect(await s.closed).toEqual({ code: 4002, reason: 'server says bye', local: true });
    const info = await c.closed;
    expect(info.local).toBe(false);
    expect(info.code).toBe(k.carriesCloseCode ? 4002 : 1000);
    if (k.carriesCloseCode) expect(info.reason).toBe('server says bye');
    await settle();
    expect([c.count(), s.count()]).toEqual([1, 1]);
  });

  it('send on a closed link is a no-op returning false', async () => {
    const { client } = await make();
    const c = watchClose(client);
    client.close();
    expect(client.send(enc('late'))).toBe(false);
    await c.closed;
    expect(client.send(enc('later'))).toBe(false);
    expect(client.isOpen).toBe(false);
  });

  it('a throwing message handler closes only its own link (1011) and reports HANDLER_FAILED', async () => {
    const bad = await make();
    const good = await make();
    const errors = collectErrors(bad.server);
    const closed = watchClose(bad.server);
    bad.server.on('message', () => {
      throw new Error('handler bug');
    });
    bad.client.send(enc('boom'));
    expect(await closed.closed).toEqual({ code: 1011, reason: 'internal error', local: true });
    expect(errors.map((e) => e.code)).toContain('HANDLER_FAILED');
    expect(errors[0]?.cause).toBeInstanceOf(Error);
    // The other pair is unaffected.
    const got = collect(good.server, 1);
    good.client.send(enc('still fine'));
    expect(dec((await got)[0]!)).toBe('still fine');
  });

  it('an unsubscribed handler gets nothing more', async () => {
    const { server, client } = await make();
    const first: string[] = [];
    const off = server.on('message', (d) => first.push(dec(d)));
    const a = collect(server, 1);
    client.send(enc('a'));
    await a;
    off();
    off(); // twice is harmless
    const b = collect(server, 1);
    client.send(enc('b'));
    expect(dec((await b)[0]!)).toBe('b');
    expect(first).toEqual(['a']);
  });

  it('a close handler added after the close still runs, once', async () => {
    const { client } = await make();
    const c = watchClose(client);
    client.close(4003, 'done');
    await c.closed;
    const late: unknown[] = [];
    client.on('close', (info) => late.push(info));
    const removed: unknown[] = [];
    client.on('close', (info) => removed.push(info))(); // removed before it could run
    await settle(5);
    expect(late).toEqual([{ code: 4003, reason: 'done', local: true }]);
    expect(removed).toEqual([]);
  });

  it('refuses close codes a WebSocket may not send', async () => {
    const { client } = await make();
    for (const code of [999, 1004, 1005, 1006, 1015, 2000, 5000, 1000.5]) {
      expectThrowsCode(() => client.close(code, 'x'), TransportError, 'BAD_CLOSE_CODE');
    }
    expect(client.isOpen).toBe(true);
  });
});
