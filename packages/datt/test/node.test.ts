import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex, utf8Encode } from '@peerwire/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  addressFromPublicKey,
  DattRequestError,
  encodeDmsg,
  encodeMessage,
  parseContentBody,
  publicKeyOf,
  sha256,
  verifyContentAuth,
} from '../src/index.js';
import { type DattNode, startDattNode } from '../src/node/index.js';
import { buildPayment, keyOf } from './helpers.js';

const dirs: string[] = [];
const nodes: DattNode[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'datt-test-'));
  dirs.push(dir);
  return dir;
}
async function start(...args: Parameters<typeof startDattNode>): Promise<DattNode> {
  const node = await startDattNode(...args);
  nodes.push(node);
  return node;
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const serverKey = keyOf('server node');
const payTo = addressFromPublicKey(publicKeyOf(serverKey));

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('startDattNode over loopback', () => {
  for (const transport of ['tcp', 'ws'] as const) {
    it(`posts and gets between two nodes over ${transport}, paying for both with a transaction built in the test`, async () => {
      const server = await start({
        dataDir: dataDir(),
        tcpPort: 0,
        wsPort: 0,
        keys: { privateKey: serverKey },
        policy: { getPrice: 700n, postPrice: 300n, payTo },
      });
      const payments: bigint[] = [];
      let salt = 0;
      const wallet = ({ amount, address }: { amount: bigint; address: Uint8Array }) => {
        payments.push(amount);
        return buildPayment([{ address, satoshis: amount }], ++salt);
      };
      const alice = await start({
        dataDir: dataDir(),
        keys: { privateKey: keyOf('alice') },
        wallet,
      });
      const bob = await start({ dataDir: dataDir(), keys: { privateKey: keyOf('bob') }, wallet });
      const url =
        transport === 'tcp'
          ? `tcp://127.0.0.1:${server.ports.tcp}`
          : `ws://127.0.0.1:${server.ports.ws}`;
      await alice.connect(url);
      const bobPeer = await bob.connect(url);

      const posted = await alice.post({
        name: 'alice',
        label: 'science',
        title: 'Hi',
        body: 'first post',
      });
      expect(posted.peers).toHaveLength(1);
      expect(posted.peers[0]).toMatchObject({ ok: true });
      expect(posted.peers[0]?.txid?.length).toBe(32);
      expect(server.stats.contentStored).toBe(1);

      const got = await bob.get(posted.hash, { peers: [bobPeer] });
      const ca = verifyContentAuth(got, posted.hash);
      expect(parseContentBody(ca.content).body).toBe('first post');
      expect(toHex(ca.pubkey)).toBe(toHex(alice.publicKey));
      expect(payments).toEqual([300n, 700n]);
      expect(server.stats.paymentsAccepted).toBe(2);
      // Bob kept a copy: a second get is local, with no new payment.
      expect(toHex(await bob.get(posted.hash))).toBe(toHex(got));
      expect(payments.length).toBe(2);

      await expect(bob.get(sha256(utf8Encode('no such content')))).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });
  }

  it('fails a paid get with PAYMENT_DECLINED when the node has no wallet', async () => {
    const server = await start({
      dataDir: dataDir(),
      tcpPort: 0,
      keys: { privateKey: serverKey },
      policy: { getPrice: 1n, payTo },
    });
    const posted = await server.post(utf8Encode('raw content'));
    const client = await start({ dataDir: dataDir(), keys: { privateKey: keyOf('c') } });
    await client.connect(`tcp://127.0.0.1:${server.ports.tcp}`);
    const error = await client.get(posted.hash).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DattRequestError);
    expect((error as DattRequestError).code).toBe('PAYMENT_DECLINED');
  });

  it('reports a refused connection and a bad URL as request errors', async () => {
    const node = await start({ dataDir: dataDir(), keys: { privateKey: keyOf('c') } });
    const probe = await start({ dataDir: dataDir(), tcpPort: 0, keys: { privateKey: keyOf('p') } });
    const port = probe.ports.tcp!;
    await probe.close();
    await expect(node.connect(`tcp://127.0.0.1:${port}`)).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(node.connect('http://127.0.0.1:1')).rejects.toMatchObject({ code: 'BAD_URL' });
    await expect(node.get(sha256(utf8Encode('x')))).rejects.toMatchObject({ code: 'NO_PEER' });
  });

  it('refuses peers beyond maxPeers, inbound (closed) and outbound (connect fails)', async () => {
    const server = await start({
      dataDir: dataDir(),
      tcpPort: 0,
      keys: { privateKey: serverKey },
      limits: { maxPeers: 1 },
    });
    const url = `tcp://127.0.0.1:${server.ports.tcp}`;
    const first = await start({ dataDir: dataDir(), keys: { privateKey: keyOf('1') } });
    await first.connect(url);
    const second = await start({
      dataDir: dataDir(),
      keys: { privateKey: keyOf('2') },
      limits: { maxPeers: 1 },
    });
    await expect(second.connect(url)).rejects.toMatchObject({ code: 'CLOSED' });
    const third = await start({ dataDir: dataDir(), tcpPort: 0, keys: { privateKey: keyOf('3') } });
    await second.connect(`tcp://127.0.0.1:${third.ports.tcp}`); // its one peer
    await expect(second.connect(url)).rejects.toMatchObject({
      code: 'CLOSED',
      message: expect.stringMatching(/maxPeers/),
    });
    expect(server.peers()).toHaveLength(1);
  });

  it('closes WebSocket peers with 1001 when it shuts down', async () => {
    const server = await start({
      dataDir: dataDir(),
      wsPort: 0,
      keys: { privateKey: serverKey },
    });
    const closed = new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.ports.ws}`);
      ws.on('open', () =>
        ws.send(encodeMessage({ type: 'init', version: 1, services: 0n, addresses: [] })),
      );
      ws.on('message', () => void server.close());
      ws.on('close', (code) => resolve(code));
    });
    expect(await closed).toBe(1001);
    expect(server.stats.disconnects.LOCAL).toBe(1);
  });

  it('keeps content on disk across restarts', async () => {
    const dir = dataDir();
    const first = await startDattNode({ dataDir: dir, keys: { privateKey: serverKey } });
    const posted = await first.post(utf8Encode('durable'));
    await first.close();
    const second = await start({ dataDir: dir, tcpPort: 0, keys: { privateKey: serverKey } });
    expect(toHex(await second.get(posted.hash))).toBe(toHex(posted.contentAuth));
    const client = await start({ dataDir: dataDir(), keys: { privateKey: keyOf('c') } });
    await client.connect(`tcp://127.0.0.1:${second.ports.tcp}`);
    expect(toHex(await client.get(posted.hash))).toBe(toHex(posted.contentAuth));
  });

  it('disconnects and counts a TCP peer that sends a bad frame or a bad signature', async () => {
    const server = await start({ dataDir: dataDir(), tcpPort: 0, keys: { privateKey: serverKey } });
    const init = encodeMessage({ type: 'init', version: 1, services: 0n, addresses: [] });
    const send = (payload: Uint8Array) =>
      new Promise<void>((resolve) => {
        const socket = connect(server.ports.tcp!, '127.0.0.1', () =>
          socket.write(Buffer.concat([init, payload])),
        );
        socket.on('data', () => {});
        socket.on('close', () => resolve());
        socket.on('error', () => {});
      });
    const badChecksum = encodeDmsg('getdata', new Uint8Array(32)).slice();
    badChecksum[20]! ^= 0xff;
    await send(badChecksum);
    expect(server.stats.disconnects.BAD_FRAME).toBe(1);

    const other = await startDattNode({
      dataDir: dataDir(),
      keys: { privateKey: keyOf('author') },
    });
    nodes.push(other);
    const { contentAuth } = await other.post(utf8Encode('hello'));
    const forged = contentAuth.slice();
    forged[forged.length - 1]! ^= 1;
    await send(encodeMessage({ type: 'postdata', hash: sha256(forged), contentAuth: forged }));
    expect(server.stats.disconnects.BAD_SIGNATURE).toBe(1);
    expect(server.stats.misbehaving).toBe(2);
    expect(server.stats.contentStored).toBe(0);
  });

  it('counts an oversized TCP header and a wrong magic as BAD_FRAME and keeps serving other peers', async () => {
    const server = await start({
      dataDir: dataDir(),
      tcpPort: 0,
      keys: { privateKey: serverKey },
      limits: { maxDataLength: 1000 },
    });
    const posted = await server.post(utf8Encode('still served'));
    const client = await start({ dataDir: dataDir(), keys: { privateKey: keyOf('good') } });
    const peer = await client.connect(`tcp://127.0.0.1:${server.ports.tcp}`);
    const send = (payload: Uint8Array) =>
      new Promise<void>((resolve) => {
        const socket = connect(server.ports.tcp!, '127.0.0.1', () => socket.write(payload));
        socket.on('data', () => {});
        socket.on('close', () => resolve());
        socket.on('error', () => {});
      });
    const oversized = encodeDmsg('postdata', new Uint8Array(0)).slice();
    new DataView(oversized.buffer).setUint32(16, 1001, false);
    await send(oversized);
    const wrongMagic = encodeMessage({ type: 'init', version: 1, services: 0n, addresses: [] });
    wrongMagic[3]! ^= 1;
    await send(wrongMagic);
    await until(() => server.stats.disconnects.BAD_FRAME === 2, 'two BAD_FRAME disconnects');
    expect(server.stats.misbehaving).toBe(2);
    expect(toHex(await client.get(posted.hash, { peers: [peer] }))).toBe(toHex(posted.contentAuth));
  });

  it('disconnects and counts a WebSocket peer that sends an oversized or a text message', async () => {
    const server = await start({
      dataDir: dataDir(),
      wsPort: 0,
      keys: { privateKey: serverKey },
      limits: { maxDataLength: 1000 },
    });
    const send = (data: Uint8Array | string) =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.ports.ws}`);
        ws.on('open', () => ws.send(data));
        ws.on('close', () => resolve());
        ws.on('error', () => {});
      });
    await send(new Uint8Array(2000));
    await send('hello');
    await until(() => server.stats.disconnects.BAD_FRAME === 2, 'two BAD_FRAME disconnects');
    expect(server.stats.misbehaving).toBe(2);
  });
});
