// Issue 15 items 4 and 5: per-IP refusals at the upgrade are counted and logged; /healthz answers
// 503 draining while a shutdown drains, and new WebSocket connections are refused meanwhile.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { resolveConfig } from '../src/config.js';
import {
  REFUSAL_LOG_INTERVAL_MS,
  REFUSAL_LOG_MAX_ADDRESSES,
  refusalLog,
} from '../src/refusal-log.js';
import { type RunningRelay, startRelayServer } from '../src/server.js';
import { rawPeer, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A relay whose log lines are kept (parsed) for the test to read. */
async function loggedRelay(
  overrides: Record<string, unknown> = {},
): Promise<{ relay: RunningRelay; logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const config = resolveConfig(
    {
      host: '127.0.0.1',
      port: 0,
      memory: true,
      serverCode: 'test',
      bob: { port: 0, securePort: 0 },
    },
    overrides,
  );
  const relay = await startRelayServer(config, {
    logger: pino({ level: 'info' }, sink),
    version: 'test',
  });
  cleanups.push(() => relay.close());
  return { relay, logs };
}

/** Tries a WebSocket upgrade; resolves with the HTTP refusal (status and body) or 'open'. */
function tryUpgrade(url: string): Promise<{ status: number; body: string } | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', (error) => {
      if (!String(error.message).includes('Unexpected server response')) reject(error);
    });
  });
}

async function metric(url: string, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const found = text.split('\n').find((l) => line.test(l));
  return found === undefined ? undefined : Number(found.split(' ').pop());
}

/**
 * A WebSocket client that upgrades by hand, then stops reading: it never answers the relay's
 * close frame, so the relay's drain waits for it (up to the close timeout) until it is destroyed.
 */
async function stalledClient(url: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    'GET /_websocket HTTP/1.1\r\n' +
      `Host: ${hostname}:${port}\r\n` +
      'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
      'Sec-WebSocket-Version: 13\r\n\r\n',
  );
  let head = '';
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  expect(head).toMatch(/^HTTP\/1.1 101/);
  socket.pause();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  return { socket, closed };
}

describe('per-IP refusals at the WebSocket upgrade (issue 15 item 4)', () => {
  it('counts every refusal in rejects_total{reason} and logs them rate-limited with the address', async () => {
    const { relay, logs } = await loggedRelay({ limits: { maxConnectionsPerIp: 2 } });
    const peers = [await rawPeer(relay.spotUrl), await rawPeer(relay.spotUrl)];
    cleanups.push(() => {
      for (const p of peers) p.link.close(1000, 'done');
    });
    const reason = /^peerwire_spot_rejects_total\{reason="too_many_connections_from_ip"\}/;
    expect(await metric(relay.url, reason)).toBe(0);

    for (let i = 0; i < 5; i++) {
      const refused = await tryUpgrade(relay.spotUrl);
      expect(refused).toMatchObject({ status: 503 });
      expect(refused !== 'open' && refused.body).toMatch(/too many connections from 127\.0\.0\.1/);
    }
    expect(await metric(relay.url, reason)).toBe(5);

    const lines = logs.filter((l) => l.msg === 'connection refused');
    expect(lines).toHaveLength(1); // five refusals from one address within 10 s: one line
    expect(lines[0]).toMatchObject({
      remote: '127.0.0.1',
      reason: 'too_many_connections_from_ip',
    });
  });
});

describe('refusal log rate limit', () => {
  function captured() {
    const logs: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
        done();
      },
    });
    return { logs, logger: pino({ level: 'info' }, sink) };
  }

  it('logs one line per address per interval, then a summary of the ones it held back', async () => {
    const { logs, logger } = captured();
    let t = 0;
    const log = refusalLog(logger, () => t);
    for (let i = 0; i < 3; i++) log.refused('10.0.0.1', 'too_many_connections_from_ip', 'x');
    log.refused('10.0.0.2', 'too_many_connections_from_ip', 'y');
    t = REFUSAL_LOG_INTERVAL_MS - 1;
    log.prune();
    await new Promise((r) => setImmediate(r));
    expect(logs.map((l) => [l.msg, l.remote])).toEqual([
      ['connection refused', '10.0.0.1'],
      ['connection refused', '10.0.0.2'],
    ]);
    t = REFUSAL_LOG_INTERVAL_MS;
    log.prune();
    log.refused('10.0.0.1', 'shutting_down', 'z');
    await new Promise((r) => setImmediate(r));
    expect(logs.slice(2)).toMatchObject([
      { remote: '10.0.0.1', suppressed: 2, reason: 'too_many_connections_from_ip' },
      { msg: 'connection refused', remote: '10.0.0.1', reason: 'shutting_down' },
    ]);
    expect(logs).toHaveLength(4); // 10.0.0.2 held nothing back: no summary
  });

  it('tracks at most REFUSAL_LOG_MAX_ADDRESSES addresses at once', async () => {
    const { logs, logger } = captured();
    const log = refusalLog(logger, () => 0);
    for (let i = 0; i <= REFUSAL_LOG_MAX_ADDRESSES; i++)
      log.refused(`a${i}`, 'too_many_connections_from_ip', 'x');
    await new Promise((r) => setImmediate(r));
    expect(logs).toHaveLength(REFUSAL_LOG_MAX_ADDRESSES);
  });
});

describe('graceful stop (issue 15 item 5)', () => {
  it('/healthz answers 503 draining and new connections are refused until the drain ends', async () => {
    const { relay } = await loggedRelay({ shutdownGraceMs: 10_000 });
    const stalled = await stalledClient(relay.spotUrl);
    cleanups.push(() => stalled.socket.destroy());
    await waitFor(() => relay.relay.connectionCount === 1, 5000, 'the stalled connection');

    const closed = relay.close();
    let done = false;
    void closed.then(() => {
      done = true;
    });
    // The stalled client keeps the drain open: the HTTP port must still answer meanwhile.
    await new Promise((r) => setTimeout(r, 200));
    expect(done).toBe(false);
    const health = await fetch(`${relay.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'draining' });
    expect(await tryUpgrade(relay.spotUrl)).toMatchObject({ status: 503 });
    const discovery = await fetch(`${relay.url}/_special/rest/Spot:connect`);
    expect(discovery.status).toBe(503);
    expect(done).toBe(false);

    // The stalled client goes away: the drain ends, then the HTTP port closes.
    stalled.socket.destroy();
    await stalled.closed;
    await closed;
    await expect(fetch(`${relay.url}/healthz`)).rejects.toThrow();
  });

  it('still refuses WebSocket upgrades with 503 while a service (bob) drains after Spot closed', async () => {
    const { relay } = await loggedRelay();
    const bob = relay.services.get('bob');
    expect(bob).toBeDefined();
    // Hold bob's graceful close open, as a transfer under way would.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const bobClose = bob!.close.bind(bob);
    (bob as { close: (graceMs: number) => Promise<void> }).close = async (graceMs) => {
      await held;
      await bobClose(graceMs);
    };
    const closed = relay.close();
    cleanups.push(() => {
      release();
      return closed;
    });
    await new Promise((r) => setTimeout(r, 200)); // Spot has no links: its part ends at once
    expect((await fetch(`${relay.url}/healthz`)).status).toBe(503);
    expect(await tryUpgrade(relay.spotUrl)).toEqual({
      status: 503,
      body: 'relay is shutting down',
    });
    expect(
      await metric(relay.url, /^peerwire_spot_rejects_total\{reason="shutting_down"\}/),
    ).toBeGreaterThanOrEqual(1);
    release();
    await closed;
  });
});

describe('text WebSocket frames (issue 15 item 3)', () => {
  it('a text flood before any handshake is cut by the message budget like a binary one', async () => {
    const { relay } = await loggedRelay({ limits: { messagesPerSecond: 100, messageBurst: 200 } });
    const ws = new WebSocket(`${relay.url.replace(/^http/, 'ws')}/_websocket`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const text = 'x'.repeat(1024);
    for (let i = 0; i < 1000 && ws.readyState === WebSocket.OPEN; i++) ws.send(text);
    expect(await closed).toEqual({
      code: 1008,
      reason: 'rate limit exceeded: more than 100 messages/s',
    });
    expect(await metric(relay.url, /^peerwire_spot_rejects_total\{reason="rate_limited"\}/)).toBe(
      1,
    );
  });
});

describe('rejection logs carry the address, rate-limited (issue 15, smaller items)', () => {
  it('Spot rejections name the remote address; a burst from one address is one line', async () => {
    const { relay, logs } = await loggedRelay();
    const url = `${relay.url.replace(/^http/, 'ws')}/_websocket`;
    for (let i = 0; i < 3; i++) {
      const ws = new WebSocket(url);
      await new Promise((resolve) => ws.once('open', resolve));
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.send(Buffer.from([0xff, 0xff, 0xff])); // not a Spot packet
      await closed;
    }
    await waitFor(() => relay.relay.stats.rejects.bad_packet === 3, 10_000, 'three rejections');
    const lines = logs.filter((l) => l.msg === 'connection rejected');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ remote: '127.0.0.1', reason: 'bad_packet' });
    expect(lines[0]!.cid).toEqual(expect.any(String));
  });

  it('Datt frame rejections are logged with the address, rate-limited', async () => {
    const { relay, logs } = await loggedRelay({ datt: { enabled: true, port: 0, wsPort: 0 } });
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const socket: Socket = connect(relay.datt!.ports.tcp!, '127.0.0.1', () =>
          socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
        );
        socket.on('data', () => {});
        socket.on('error', () => {});
        socket.on('close', () => resolve());
      });
    }
    await waitFor(
      () => relay.datt!.node.stats.disconnects.BAD_FRAME === 3,
      10_000,
      'three bad frames',
    );
    const lines = logs.filter((l) => l.msg === 'datt peer rejected');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ remote: '127.0.0.1', reason: 'BAD_FRAME' });
    expect(String(lines[0]!.detail).length).toBeGreaterThan(0);
  });
});
