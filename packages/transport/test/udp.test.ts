import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { expectRejectsCode, expectThrowsCode } from '../../../tooling/test-helpers.js';
import { type Link, TransportError } from '../src/index.js';
import { bindUdp, type UdpEndpoint } from '../src/node/index.js';
import { collect, dec, enc, nextEvent, settle, waitFor, watchClose } from './helpers.js';

const endpoints: UdpEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

async function bind(options: Parameters<typeof bindUdp>[0] = {}): Promise<UdpEndpoint> {
  const endpoint = await bindUdp({ host: '127.0.0.1', ...options });
  endpoints.push(endpoint);
  return endpoint;
}

/** Sends one datagram from a raw socket; resolves once it has left. */
async function rawSend(data: Uint8Array, port: number, host = '127.0.0.1'): Promise<void> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) =>
    socket.send(data, port, host, (error) => (error ? reject(error) : resolve())),
  );
  socket.close();
}

describe.each([
  ['IPv4', '127.0.0.1', 'udp4'],
  ['IPv6', '::1', 'udp6'],
] as const)('UDP over %s', (_family, host, type) => {
  it('one link per remote: link event on the first datagram, replies reach the same link', async () => {
    const a = await bind({ host });
    const b = await bind({ host, type });
    expect(b.address).toBe(host);
    const toB = a.link({ address: host, port: b.port });
    expect(a.link({ address: host, port: b.port })).toBe(toB);
    const created = nextEvent<Link>((cb) => b.on('link', cb));
    const first = new Promise<string>((resolve) => {
      b.on('link', (link) => link.on('message', (d) => resolve(dec(d))));
    });
    toB.send(enc('first'));
    const fromA = await created;
    expect(await first).toBe('first');
    expect(fromA.kind).toBe('udp');
    expect(fromA.remote).toEqual({
      address: host,
      port: a.port,
      family: host.includes(':') ? 'IPv6' : 'IPv4',
    });
    expect(b.linkCount).toBe(1);
    const reply = collect(toB, 1);
    fromA.send(enc('reply'));
    expect(dec((await reply)[0]!)).toBe('reply');
    // A second datagram goes to the existing link: no new link event.
    let links = 0;
    b.on('link', () => links++);
    const second = collect(fromA, 1);
    toB.send(enc('second'));
    expect(dec((await second)[0]!)).toBe('second');
    expect(links).toBe(0);
  });
});

describe('UDP endpoint limits and lifecycle', () => {
  it('drops oversized datagrams and refuses to send them', async () => {
    const a = await bind({ maxDatagram: 1000 });
    const links: Link[] = [];
    a.on('link', (l) => links.push(l));
    await rawSend(new Uint8Array(1001), a.port);
    await rawSend(new Uint8Array(1000), a.port);
    await waitFor(() => links.length === 1, 'the link from the in-limit datagram');
    expect(a.droppedDatagrams).toBe(1);
    const link = a.link({ address: '127.0.0.1', port: 9 });
    expectThrowsCode(() => link.send(new Uint8Array(1001)), TransportError, 'TOO_LARGE');
    expect(link.send(new Uint8Array(1000))).toBe(true);
  });

  it('drops datagrams from new remotes when nobody listens for links, and past maxLinks', async () => {
    const a = await bind({ maxLinks: 1 });
    await rawSend(enc('nobody listens'), a.port);
    await waitFor(() => a.droppedDatagrams === 1, 'the drop');
    expect(a.linkCount).toBe(0);
    const links: Link[] = [];
    a.on('link', (l) => links.push(l));
    await rawSend(enc('one'), a.port);
    await waitFor(() => links.length === 1, 'one link');
    await rawSend(enc('two'), a.port); // another source port: a second remote, over the limit
    await waitFor(() => a.droppedDatagrams === 2, 'the second drop');
    expect(a.linkCount).toBe(1);
    expectThrowsCode(() => a.link({ address: '127.0.0.1', port: 9 }), TransportError, 'LIMIT');
  });

  it('link() wants an IP literal of the endpoint family and a valid port', async () => {
    const a = await bind();
    expectThrowsCode(() => a.link({ address: 'localhost', port: 1 }), TransportError, 'BAD_OPTION');
    expectThrowsCode(() => a.link({ address: '::1', port: 1 }), TransportError, 'BAD_OPTION');
    expectThrowsCode(() => a.link({ address: '127.0.0.1', port: 0 }), TransportError, 'BAD_OPTION');
    expectThrowsCode(
      () => a.link({ address: '127.0.0.1', port: 70000 }),
      TransportError,
      'BAD_OPTION',
    );
  });

  it('closing a link forgets the remote; its next datagram makes a new link', async () => {
    const a = await bind();
    const b = await bind();
    const links: Link[] = [];
    b.on('link', (l) => {
      links.push(l);
      l.on('message', () => {});
    });
    const toB = a.link({ address: '127.0.0.1', port: b.port });
    toB.send(enc('1'));
    await waitFor(() => links.length === 1, 'the first link');
    const closed = watchClose(links[0]!);
    links[0]!.close(4000, 'forget you');
    expect(await closed.closed).toEqual({ code: 4000, reason: 'forget you', local: true });
    expect(b.linkCount).toBe(0);
    toB.send(enc('2'));
    await waitFor(() => links.length === 2, 'a new link');
    expect(links[1]!.id).not.toBe(links[0]!.id);
    expect(closed.count()).toBe(1);
  });

  it('close() closes every link with 1001 and then refuses link()', async () => {
    const a = await bindUdp({ host: '127.0.0.1' });
    const l1 = a.link({ address: '127.0.0.1', port: 9 });
    const l2 = a.link({ address: '127.0.0.1', port: 10 });
    const closes = [watchClose(l1).closed, watchClose(l2).closed];
    await a.close();
    for (const info of await Promise.all(closes)) {
      expect(info).toEqual({ code: 1001, reason: 'endpoint closed', local: true });
    }
    expectThrowsCode(() => a.link({ address: '127.0.0.1', port: 9 }), TransportError, 'CLOSED');
    expect(l1.send(enc('x'))).toBe(false);
    await a.close(); // twice is fine
  });

  it('a throwing link handler closes that link with 1011, tells onError, and the endpoint carries on', async () => {
    const errors: TransportError[] = [];
    const a = await bind({ onError: (e) => errors.push(e) });
    let calls = 0;
    const good: Link[] = [];
    a.on('link', (link) => {
      if (++calls === 1) throw new Error('link handler bug');
      good.push(link);
    });
    await rawSend(enc('first'), a.port);
    await waitFor(() => errors.length === 1, 'the error');
    expect(errors[0]!.code).toBe('HANDLER_FAILED');
    await settle(5);
    expect(a.linkCount).toBe(0);
    await rawSend(enc('second'), a.port);
    await waitFor(() => good.length === 1, 'a good link');
  });

  it('rejects LISTEN_FAILED for a taken port and BAD_OPTION for a bad one', async () => {
    const a = await bind();
    await expectRejectsCode(
      () => bindUdp({ host: '127.0.0.1', port: a.port }),
      TransportError,
      'LISTEN_FAILED',
    );
    await expectRejectsCode(() => bindUdp({ port: -1 }), TransportError, 'BAD_OPTION');
  });

  it('receives on a bound port from a raw socket', async () => {
    const a = await bind();
    const got = new Promise<string>((resolve) =>
      a.on('link', (l) => l.on('message', (d) => resolve(dec(d)))),
    );
    const raw = createSocket('udp4');
    raw.bind(0, '127.0.0.1');
    await once(raw, 'listening');
    raw.send(enc('raw hello'), a.port, '127.0.0.1');
    expect(await got).toBe('raw hello');
    raw.close();
  });
});
