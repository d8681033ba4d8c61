// End-to-end: the relay app on loopback, real WebSockets, real clients.
import { generatePrivateKey, IDCard, Keychain, Membership, signHandshake } from '@peerwire/crypto';
import {
  decodeHandshakeRequest,
  encodeHandshakeResponse,
  encodeInstantMessage,
  MsgFlag,
  PacketType,
  readPacketType,
} from '@peerwire/wire';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningRelay } from '../src/server.js';
import { makeKeychain, rawPeer, startClient, startRelay, tempDir, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relay(overrides: Record<string, unknown> = {}): Promise<RunningRelay> {
  const r = await startRelay(overrides);
  cleanups.push(() => r.close());
  return r;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('two peers through the relay', () => {
  it('exchange end-to-end encrypted messages and queries', async () => {
    const r = await relay();
    const alice = await startClient(r.spotUrl);
    const bob = await startClient(r.spotUrl, await makeKeychain('Ed25519'));
    cleanups.push(
      () => alice.stop(),
      () => bob.stop(),
    );

    const inbox: { from: string; text: string; encrypted: boolean }[] = [];
    bob.handle('chat', (req) => {
      inbox.push({ from: req.from, text: text(req.payload), encrypted: req.encrypted });
    });
    bob.handle('upper', (req) => text(req.payload).toUpperCase());

    await alice.send(`${bob.address}/chat`, 'hello bob');
    await waitFor(() => inbox.length === 1, 5000, 'the message');
    expect(inbox[0]).toEqual({
      from: `${alice.address}/noreply`,
      text: 'hello bob',
      encrypted: true,
    });

    expect(text(await alice.query(`${bob.address}/upper`, 'shout'))).toBe('SHOUT');
    expect(text(await bob.query(`${alice.address}/version`))).toBe('peerwire-client');
    expect(await alice.ping(bob.address)).toBeGreaterThanOrEqual(0);
    await expect(alice.query(`${bob.address}/missing`)).rejects.toMatchObject({
      code: 'REMOTE_ERROR',
      message: 'unknown endpoint missing',
    });
    const ghost = IDCard.create((await generatePrivateKey('P-256')).publicKey).address;
    await expect(alice.query(`${ghost}/x`)).rejects.toMatchObject({ code: 'UNKNOWN_IDENTITY' });
    await expect(alice.query(`c.test.conn-nobody/x`)).rejects.toMatchObject({
      code: 'REMOTE_ERROR',
      message: 'no route to c.test.conn-nobody/x',
    });
    expect(await alice.relayVersion()).toBe('peerwire-relay/test');
    expect(Math.abs((await alice.relayTime()) - Date.now())).toBeLessThan(5000);
  });

  it('every answer reaches the asker when its identity is online twice (one keychain, two clients)', async () => {
    const r = await relay();
    const shared = await makeKeychain();
    const listener = await startClient(r.spotUrl, shared);
    const asker = await startClient(r.spotUrl, shared);
    const bob = await startClient(r.spotUrl, await makeKeychain('Ed25519'));
    cleanups.push(
      () => listener.stop(),
      () => asker.stop(),
      () => bob.stop(),
    );
    bob.handle('upper', (req) => text(req.payload).toUpperCase());
    // Without the relay's reply routing, each answer reaches the wrong client half of the time.
    for (let i = 0; i < 20; i++) {
      const answer = await asker.query(`${bob.address}/upper`, `q${i}`, { timeoutMs: 3000 });
      expect(text(answer)).toBe(`Q${i}`);
    }
  });

  it('groups: membership registered by the group key, g. routing, member list', async () => {
    const r = await relay();
    const admin = await startClient(r.spotUrl);
    const member = await startClient(r.spotUrl);
    const outsider = await startClient(r.spotUrl);
    cleanups.push(
      () => admin.stop(),
      () => member.stop(),
      () => outsider.stop(),
    );
    const groupKey = await generatePrivateKey('P-256');
    const m = Membership.create(member.card.self, groupKey.publicKey, {
      info: new Map([['role', 'member']]),
    });
    await m.sign(groupKey);
    await admin.groupUpdate(m);
    await waitFor(
      () => (member.card.groups?.length ?? 0) === 1,
      5000,
      'the member card to gain the group',
    );
    expect(await admin.groupList(groupKey.publicKey.pkix)).toEqual([member.address]);
    member.handle('hello', (req) => `hi ${req.fromHash.slice(0, 4)}`);
    const groupHash = IDCard.create(groupKey.publicKey).hash;
    expect(text(await outsider.query(`g.${groupHash}/hello`))).toBe(
      `hi ${outsider.card.hash.slice(0, 4)}`,
    );
  });

  it('blobs and ID cards survive a relay restart (disk store)', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const keychain = await makeKeychain();
    const r1 = await startRelay({ memory: false, dataDir: dir.path });
    const c1 = await startClient(r1.spotUrl, keychain);
    await c1.storeBlob('settings', 'dark mode');
    await c1.stop();
    await r1.close();
    const r2 = await relay({ memory: false, dataDir: dir.path, port: 0 });
    // the card c1 presented before the restart is still served by @/idcard_find
    const other = await startClient(r2.spotUrl);
    cleanups.push(() => other.stop());
    expect((await other.getIdCard(c1.address)).hash).toBe(c1.card.hash);
    const c2 = await startClient(r2.spotUrl, keychain);
    cleanups.push(() => c2.stop());
    expect(text(await c2.fetchBlob('settings'))).toBe('dark mode');
    await c2.deleteBlob('settings');
    await expect(c2.fetchBlob('settings')).rejects.toMatchObject({
      code: 'REMOTE_ERROR',
      message: 'blob not found',
    });
  });

  it('reconnects and handshakes again after the relay restarts', async () => {
    const r1 = await startRelay();
    const port = r1.port;
    const alice = await startClient(r1.spotUrl);
    cleanups.push(() => alice.stop());
    const events: string[] = [];
    alice.on('offline', () => events.push('offline'));
    alice.on('online', () => events.push('online'));
    await r1.close();
    await waitFor(() => events.includes('offline'), 5000, 'offline');
    const r2 = await relay({ port });
    await waitFor(() => events.at(-1) === 'online', 10_000, 'back online');
    expect(text(await alice.query('@/version'))).toBe('peerwire-relay/test');
    void r2;
  });
});

describe('hostile input over real sockets', () => {
  it('garbage, oversized and flooding connections are closed with a reason; others are served', async () => {
    const r = await relay({ limits: { messagesPerSecond: 50, messageBurst: 100 } });
    const alice = await startClient(r.spotUrl);
    const bob = await startClient(r.spotUrl);
    cleanups.push(
      () => alice.stop(),
      () => bob.stop(),
    );
    bob.handle('echo', (req) => req.payload);

    const garbage = await rawPeer(r.spotUrl);
    garbage.link.send(Uint8Array.of(0x37, 1, 2, 3));
    expect(await garbage.closed).toMatchObject({
      code: 1008,
      reason: expect.stringMatching(/bad packet/),
    });

    const big = await rawPeer(r.spotUrl);
    big.link.send(new Uint8Array(1024 * 1024 + 1).fill(2));
    expect((await big.closed).code).toBe(1009);

    const flooder = await rawPeer(r.spotUrl);
    for (let i = 0; i < 200; i++) {
      flooder.link.send(
        encodeInstantMessage({
          id: new Uint8Array(16),
          flags: MsgFlag.NotBottle,
          recipient: `${bob.address}/x`,
          sender: '/f',
          body: new Uint8Array(10),
        }),
      );
    }
    expect(await flooder.closed).toMatchObject({
      code: 1008,
      reason: expect.stringMatching(/rate limit/),
    });

    const early = await rawPeer(r.spotUrl, { handshake: false });
    early.link.send(
      encodeInstantMessage({
        id: new Uint8Array(16),
        recipient: '@/version',
        sender: '/x',
        body: new Uint8Array(),
      }),
    );
    expect((await early.closed).reason).toMatch(/before the handshake/);

    expect(text(await alice.query(`${bob.address}/echo`, 'still fine'))).toBe('still fine');
    expect(r.relay.stats.rejects).toMatchObject({
      bad_packet: 1,
      too_large: 1,
      rate_limited: 1,
      not_online: 1,
    });
  });

  it('a bad signature, a key not in the card and a replayed response fail the handshake', async () => {
    const r = await relay();
    const self = await generatePrivateKey('Ed25519');
    const card = IDCard.create(self.publicKey).addKeychain(new Keychain().add(self));
    const blob = await card.sign(self);
    const stranger = await generatePrivateKey('P-256');

    const attempt = async (answer: (raw: Uint8Array) => Promise<Uint8Array>) => {
      const ws = new WebSocket(r.spotUrl);
      ws.binaryType = 'nodebuffer';
      return new Promise<{ code: number; reason: string; raw: Uint8Array }>((resolve) => {
        let raw: Uint8Array = new Uint8Array();
        ws.on('message', async (data: Buffer) => {
          const bytes = new Uint8Array(data);
          if (readPacketType(bytes) !== PacketType.Handshake) return;
          const req = decodeHandshakeRequest(bytes);
          if (!req.ready) {
            raw = req.raw;
            ws.send(await answer(req.raw));
          }
        });
        ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), raw }));
      });
    };
    const badSig = await attempt(async (raw) => {
      const res = await signHandshake({ raw }, self, blob);
      const sig = res.sig.slice();
      sig[0]! ^= 1;
      return encodeHandshakeResponse({ ...res, sig });
    });
    expect(badSig).toMatchObject({ code: 1008, reason: expect.stringMatching(/handshake failed/) });
    const wrongKey = await attempt(async (raw) =>
      encodeHandshakeResponse(await signHandshake({ raw }, stranger, blob)),
    );
    expect(wrongKey.reason).toMatch(/handshake failed/);

    // capture a valid response on one connection, replay it on another
    let captured: Uint8Array | undefined;
    const first = new WebSocket(r.spotUrl);
    await new Promise<void>((resolve) => {
      first.on('message', async (data: Buffer) => {
        const req = decodeHandshakeRequest(new Uint8Array(data));
        if (req.ready) return resolve();
        captured = encodeHandshakeResponse(await signHandshake({ raw: req.raw }, self, blob));
        first.send(captured);
      });
    });
    const replay = await attempt(async () => captured!);
    expect(replay.reason).toMatch(/handshake failed/);
    first.close();
  });

  it('a receiver that stops reading does not slow other pairs (counted, not timed)', async () => {
    const r = await relay({
      limits: {
        maxQueuedBytes: 256 * 1024,
        messagesPerSecond: 1e6,
        messageBurst: 1e6,
        bytesPerSecond: 1e9,
        byteBurst: 1e9,
      },
    });
    const sender = await rawPeer(r.spotUrl);
    const stalled = new WebSocket(r.spotUrl, { perMessageDeflate: false });
    const self = await generatePrivateKey('Ed25519');
    const card = IDCard.create(self.publicKey).addKeychain(new Keychain().add(self));
    const blob = await card.sign(self);
    await new Promise<void>((resolve) => {
      stalled.on('message', async (data: Buffer) => {
        const bytes = new Uint8Array(data);
        if (readPacketType(bytes) !== PacketType.Handshake) return;
        const req = decodeHandshakeRequest(bytes);
        if (req.ready) return resolve();
        stalled.send(encodeHandshakeResponse(await signHandshake({ raw: req.raw }, self, blob)));
      });
    });
    // stop reading: the relay's writes to this socket pile up
    (stalled as unknown as { _socket: { pause(): void } })._socket.pause();

    const alice = await startClient(r.spotUrl);
    const bob = await startClient(r.spotUrl);
    cleanups.push(
      () => alice.stop(),
      () => bob.stop(),
      () => stalled.terminate(),
    );
    let got = 0;
    bob.handle('count', () => {
      got++;
    });
    const body = new Uint8Array(8 * 1024);
    const flood = encodeInstantMessage({
      id: new Uint8Array(16),
      flags: MsgFlag.NotBottle,
      recipient: `${card.address}/x`,
      sender: '/s',
      body,
    });
    for (let i = 0; i < 2000; i++) {
      // respect the sender's own backpressure; it is the relay's queue to the stalled peer that fills
      if (!sender.link.send(flood))
        await new Promise<void>((resolve) => {
          const off = sender.link.on('drain', () => {
            off();
            resolve();
          });
        });
    }
    for (let i = 0; i < 200; i++) await alice.send(`${bob.address}/count`, `n${i}`);
    await waitFor(() => got === 200, 15_000, 'all 200 messages of the healthy pair');
    await waitFor(() => r.relay.stats.drops.queue_full > 0, 5000, 'drops for the stalled receiver');
    expect(got).toBe(200);
    expect(r.relay.stats.drops.queue_full).toBeGreaterThan(1000);
  });
});

describe('HTTP endpoints', () => {
  it('serves /healthz, /metrics and discovery on the same port', async () => {
    const r = await relay({ publicHosts: ['relay.example'], minConnections: 2 });
    const alice = await startClient(r.spotUrl);
    cleanups.push(() => alice.stop());
    await alice.query('@/version');
    const health = await (await fetch(`${r.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', serverCode: 'test', online: 1 });
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(/peerwire_spot_online 1/);
    expect(metrics).toMatch(/peerwire_spot_handshakes_total 1/);
    expect(metrics).toMatch(/peerwire_spot_endpoint_requests_total [1-9]/);
    const discovery = await (await fetch(`${r.url}/_special/rest/Spot:connect?_=null`)).json();
    expect(discovery).toEqual({
      result: 'success',
      data: { hosts: ['relay.example'], min_conn: 2 },
    });
    expect((await fetch(`${r.url}/nope`)).status).toBe(404);
  });

  it('discovery lets a client find the relay by its http base', async () => {
    const r = await relay();
    const client = await startClient(r.url, undefined, { relays: { discovery: r.url } });
    cleanups.push(() => client.stop());
    expect(client.online).toBe(true);
  });

  it('closes connections with 1001 on shutdown', async () => {
    const r = await startRelay();
    const peer = await rawPeer(r.spotUrl);
    await r.close();
    expect((await peer.closed).code).toBe(1001);
    expect(peer.received.some((p) => readPacketType(p) === PacketType.Handshake)).toBe(true);
  });
});
