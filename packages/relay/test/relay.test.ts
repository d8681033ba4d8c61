import {
  type CryptoBackend,
  fastBackend,
  generatePrivateKey,
  Membership,
  signHandshake,
} from '@peerwire/crypto';
import {
  concatBytes,
  decodeHandshakeRequest,
  encodeHandshakeResponse,
  encodeInstantMessage,
  encodePing,
  fromHex,
  hasFlag,
  MsgFlag,
  toBase64Url,
  toHex,
} from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadVectors } from '../../../tooling/vectors.js';
import { emptyStats } from '../src/events.js';
import { GroupRegistry } from '../src/group-registry.js';
import {
  CLOSE_POLICY,
  CLOSE_TOO_BIG,
  CLOSE_TRY_LATER,
  localOnlyBus,
  MemoryRelayStore,
  Relay,
  resolveLimits,
} from '../src/index.js';
import { Router } from '../src/router.js';
import { makeIdentity, makeNet, type TestPeer } from './harness.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('handshake', () => {
  it('challenges with a fresh 32-byte nonce, verifies the answer and goes online with rdy', async () => {
    const net = await makeNet();
    const alice = await makeIdentity('P-256');
    const peer = await net.connect(alice);
    expect(peer.online).toBe(true);
    expect(peer.closedWith).toBeUndefined();
    const requests = peer.sent.map((p) => decodeHandshakeRequest(p));
    expect(requests[0]).toMatchObject({ ready: false, serverCode: 'tst1', groups: null });
    expect(requests[0]!.nonce.length).toBe(32);
    expect(requests[0]!.clientId).toMatch(/^tst1\.conn-[a-z2-7-]+$/);
    expect(requests.at(-1)!.ready).toBe(true);
    expect(net.relay.stats.handshakes).toBe(1);
    expect(net.relay.stats.online).toBe(1);
  });

  it('uses a different nonce for every connection', async () => {
    const net = await makeNet({ random: undefined });
    const a = await net.connect(await makeIdentity());
    const b = await net.connect(await makeIdentity());
    const na = decodeHandshakeRequest(a.sent[0]!).nonce;
    const nb = decodeHandshakeRequest(b.sent[0]!).nonce;
    expect(toBase64Url(na)).not.toBe(toBase64Url(nb));
  });

  it('rejects a handshake key that is not in the presented card', async () => {
    const net = await makeNet();
    const alice = await makeIdentity();
    const stranger = await generatePrivateKey('P-256');
    const peer = await net.connect(alice, { signer: stranger });
    expect(peer.online).toBe(false);
    expect(peer.closedWith?.code).toBe(CLOSE_POLICY);
    expect(peer.closedWith?.reason).toMatch(/handshake failed/);
    expect(net.relay.stats.rejects.handshake_failed).toBe(1);
  });

  it('rejects the reference vector neg_key_not_in_idcard', async () => {
    const { cases } = loadVectors<{ cases: { name: string; response_packet_hex?: string }[] }>(
      'spot/handshake.json',
    );
    const neg = cases.find((c) => c.name === 'neg_key_not_in_idcard')!;
    const net = await makeNet();
    const peer = await net.connect(undefined, { auto: false });
    peer.session!.receive(fromHex(neg.response_packet_hex!));
    await peer.settle();
    expect(peer.closedWith?.reason).toMatch(/handshake failed/);
  });

  it('rejects a handshake replayed from another connection', async () => {
    const net = await makeNet();
    const alice = await makeIdentity();
    const first = await net.connect(undefined, { auto: false });
    const raw = decodeHandshakeRequest(first.sent[0]!).raw;
    const stolen = encodeHandshakeResponse(await signHandshake({ raw }, alice.self, alice.blob));
    first.session!.receive(stolen);
    await first.settle();
    expect(first.closedWith).toBeUndefined();
    const second = await net.connect(undefined, { auto: false });
    second.session!.receive(stolen);
    await second.settle();
    expect(second.closedWith?.code).toBe(CLOSE_POLICY);
    expect(net.relay.stats.rejects.handshake_failed).toBe(1);
  });

  it('rejects a response without an outstanding request, and garbage', async () => {
    const net = await makeNet();
    const peer = await net.connect(await makeIdentity());
    peer.session!.receive(Uint8Array.of(0x01, 0xa0));
    expect(peer.closedWith?.reason).toMatch(/without an outstanding request/);
    const other = await net.connect(undefined, { auto: false });
    other.session!.receive(Uint8Array.of(0x01, 0xff, 0x00));
    expect(other.closedWith).toMatchObject({ code: CLOSE_POLICY });
  });

  it('closes connections that do not finish the handshake in time', async () => {
    const net = await makeNet({ limits: { handshakeTimeoutMs: 5000 } });
    const lazy = await net.connect(undefined, { auto: false });
    const fine = await net.connect(await makeIdentity());
    net.clock.advance(5001);
    net.relay.tick();
    expect(lazy.closedWith?.reason).toMatch(/handshake not completed within 5000 ms/);
    expect(fine.closedWith).toBeUndefined();
  });

  it('closes a connection that sends instant messages before the handshake', async () => {
    const net = await makeNet();
    const peer = await net.connect(undefined, { auto: false });
    peer.sendMessage('@/version', '');
    expect(peer.closedWith).toMatchObject({
      code: CLOSE_POLICY,
      reason: expect.stringMatching(/before the handshake/),
    });
  });

  it('re-challenges an online connection and keeps it online when answered', async () => {
    const net = await makeNet();
    const alice = await makeIdentity();
    const peer = await net.connect(alice);
    const before = peer.sent.length;
    expect(net.relay.rechallenge(peer.session!.cid)).toBe(true);
    await peer.settle();
    expect(peer.sent.length).toBeGreaterThan(before + 1);
    expect(peer.closedWith).toBeUndefined();
    expect(net.relay.stats.online).toBe(1);
  });
});

describe('routing', () => {
  it('delivers to k. with the sender rewritten and the recipient unchanged', async () => {
    const net = await makeNet();
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const pa = await net.connect(a);
    const pb = await net.connect(b);
    const id = pa.sendMessage(`${b.address}/chat`, 'hello', { sender: '/inbox' });
    const got = pb.reply(id)!;
    expect(got.recipient).toBe(`${b.address}/chat`);
    expect(got.sender).toBe(`${a.address}/inbox`);
    expect(text(got.body)).toBe('hello');
    expect(net.relay.stats.messagesRouted).toBe(1);
  });

  it('accepts the legacy colon form, and k.<srv>.<hash>', async () => {
    const net = await makeNet();
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const pa = await net.connect(a);
    const pb = await net.connect(b);
    pa.sendMessage(`k:${b.hash}/x`, '1');
    pa.sendMessage(`k.tst1.${b.hash}/x`, '2');
    expect(pb.messages.filter((m) => m.recipient.endsWith('/x')).map((m) => text(m.body))).toEqual([
      '1',
      '2',
    ]);
  });

  it('spreads k. messages over all connections of an identity', async () => {
    const net = await makeNet();
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const pa = await net.connect(a);
    const b1 = await net.connect(b);
    const b2 = await net.connect(b);
    for (let i = 0; i < 200; i++) pa.sendMessage(`${b.address}/x`, 'm');
    const n1 = b1.messages.filter((m) => m.recipient.endsWith('/x')).length;
    const n2 = b2.messages.filter((m) => m.recipient.endsWith('/x')).length;
    expect(n1 + n2).toBe(200);
    expect(n1).toBeGreaterThan(40);
    expect(n2).toBeGreaterThan(40);
  });

  it('routes a response to the connection that sent the request when the asker has several', async () => {
    const net = await makeNet({ limits: { replyRouteTtlMs: 60_000 } });
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const a1 = await net.connect(a);
    const a2 = await net.connect(a);
    const pb = await net.connect(b);
    const answer = { flags: MsgFlag.Response | MsgFlag.NotBottle, sender: '/noreply' };
    const ids: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      const asker = i % 2 === 0 ? a1 : a2;
      const id = asker.sendMessage(`${b.address}/echo`, `q${i}`, { sender: `/q${i}` });
      ids.push(id);
      pb.sendMessage(`${a.address}/q${i}`, `answer ${i}`, { ...answer, id });
    }
    ids.forEach((id, i) => {
      const [asker, other] = i % 2 === 0 ? [a1, a2] : [a2, a1];
      expect(text(asker.reply(id)!.body)).toBe(`answer ${i}`);
      expect(other.reply(id)).toBeUndefined();
    });
    // Requests and other messages to the identity are still spread over its connections.
    for (let i = 0; i < 100; i++) pb.sendMessage(`${a.address}/x`, 'm');
    const spread = [a1, a2].map((p) => p.messages.filter((m) => m.recipient.endsWith('/x')).length);
    expect(spread[0]! + spread[1]!).toBe(100);
    expect(Math.min(...spread)).toBeGreaterThan(20);
    // Once remembered for longer than replyRouteTtlMs, answers are spread again.
    const late = Array.from({ length: 30 }, () => a1.sendMessage(`${b.address}/echo`, 'late'));
    net.clock.advance(60_001);
    for (const id of late) pb.sendMessage(`${a.address}/late`, 'answer', { ...answer, id });
    expect(late.filter((id) => a2.reply(id) !== undefined).length).toBeGreaterThan(5);
    // An asker that is gone: the answer goes to the identity's other connection.
    const gone = a1.sendMessage(`${b.address}/echo`, 'gone', { sender: '/gone' });
    a1.session!.closed();
    pb.sendMessage(`${a.address}/gone`, 'answer', { ...answer, id: gone });
    expect(a2.reply(gone)).toBeDefined();
  });

  it('forgets the oldest remembered requests beyond maxReplyRoutes', async () => {
    const net = await makeNet({ limits: { maxReplyRoutes: 8 } });
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const a1 = await net.connect(a);
    const a2 = await net.connect(a);
    const pb = await net.connect(b);
    const ids = Array.from({ length: 40 }, () => a1.sendMessage(`${b.address}/echo`, 'q'));
    const answer = { flags: MsgFlag.Response | MsgFlag.NotBottle, sender: '/noreply' };
    for (const id of ids) pb.sendMessage(`${a.address}/q`, 'answer', { ...answer, id });
    // The last 8 are remembered and answered to a1; of the 32 forgotten, the seeded random
    // sends some to a2.
    for (const id of ids.slice(-8)) expect(a1.reply(id)).toBeDefined();
    expect(ids.slice(0, 32).filter((id) => a2.reply(id) !== undefined).length).toBeGreaterThan(4);
  });

  it('delivers to c.<srv>.<id> exactly', async () => {
    const net = await makeNet();
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const pa = await net.connect(a);
    const b1 = await net.connect(b);
    const b2 = await net.connect(b);
    pa.sendMessage(`c.${b2.session!.cid}/x`, 'only b2');
    expect(b2.messages.some((m) => text(m.body) === 'only b2')).toBe(true);
    expect(b1.messages.some((m) => text(m.body) === 'only b2')).toBe(false);
  });

  it('answers undeliverable requests with flags 7 and drops undeliverable responses silently', async () => {
    const net = await makeNet();
    const a = await makeIdentity();
    const pa = await net.connect(a);
    const ghost = (await makeIdentity()).address;
    const id = pa.sendMessage(`${ghost}/x`, 'hi', { sender: '/q1' });
    const reply = pa.reply(id)!;
    expect(reply.flags).toBe(7n);
    expect(reply.recipient).toBe(`${a.address}/q1`);
    expect(reply.sender).toBe('@/');
    expect(text(reply.body)).toBe(`no route to ${ghost}/x`);
    const before = pa.messages.length;
    pa.sendMessage(`${ghost}/x`, 'late answer', { flags: MsgFlag.Response | MsgFlag.NotBottle });
    expect(pa.messages.length).toBe(before);
    expect(net.relay.stats.drops).toMatchObject({ no_route: 1, no_route_response: 1 });
    pa.sendMessage('c.othr.conn-x/y', 'z');
    pa.sendMessage('nonsense/y', 'z');
    expect(net.relay.stats.drops.no_route).toBe(3);
  });

  it('refuses a sender that names a target', async () => {
    const net = await makeNet();
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const pa = await net.connect(a);
    const pb = await net.connect(b);
    const id = pa.sendMessage(`${b.address}/x`, 'spoof', { sender: `${b.address}/y` });
    expect(pb.reply(id)).toBeUndefined();
    expect(text(pa.reply(id)!.body)).toBe('invalid sender');
    expect(net.relay.stats.drops.invalid_sender).toBe(1);
  });

  it('echoes pings', async () => {
    const net = await makeNet();
    const peer = await net.connect(await makeIdentity());
    peer.session!.receive(encodePing(Uint8Array.of(1, 2, 3)));
    expect(peer.sent.at(-1)).toEqual(Uint8Array.of(0, 1, 2, 3));
  });
});

describe('relay endpoints', () => {
  it('@/version and @/time, raw and as sign-only bottles', async () => {
    const net = await makeNet({ version: 'peerwire-relay/test' });
    const a = await makeIdentity();
    const pa = await net.connect(a);
    const id = pa.sendMessage('@/version', '');
    await pa.settle();
    expect(pa.reply(id)).toMatchObject({ flags: 5n, sender: '@/', recipient: `${a.address}/test` });
    expect(text(pa.reply(id)!.body)).toBe('peerwire-relay/test');
    const id2 = await pa.sendSigned('@/time', new Uint8Array());
    await pa.settle();
    const body = pa.reply(id2)!.body;
    expect(body.length).toBe(12);
    expect(Number(new DataView(body.buffer, body.byteOffset).getBigUint64(0))).toBe(1_700_000_000);
  });

  it('refuses a request bottle not signed by the sender', async () => {
    const net = await makeNet();
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const pa = await net.connect(a);
    const { signMessageBody } = await import('@peerwire/crypto');
    const id = pa.sendMessage('@/version', await signMessageBody(new Uint8Array(), b.self), {
      flags: 0n,
    });
    await pa.settle();
    expect(pa.reply(id)!.flags).toBe(7n);
    expect(text(pa.reply(id)!.body)).toMatch(/not signed by a sign key of your IDCard/);
  });

  it('@/idcard_find returns the card and pushes later updates to the asker', async () => {
    const net = await makeNet();
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const pa = await net.connect(a);
    await net.connect(b);
    const id = await pa.sendSigned(
      '@/idcard_find',
      Uint8Array.from(Buffer.from(b.hash, 'base64url')),
    );
    await pa.settle();
    expect(toHex(pa.reply(id)!.body)).toBe(toHex(b.blob));
    // b presents a newer card: a is told on idcard_update
    b.card.meta = new Map([['name', 'Bee']]);
    b.blob = await b.card.sign(b.self);
    await net.connect(b);
    await pa.settle();
    const push = pa.messages.find((m) => m.recipient === `${a.address}/idcard_update`);
    expect(toHex(push!.body)).toBe(toHex(b.blob));
    expect(hasFlag(push!.flags, MsgFlag.NotBottle)).toBe(true);
    const miss = await pa.sendSigned('@/idcard_find', new Uint8Array(32));
    await pa.settle();
    expect(text(pa.reply(miss)!.body)).toBe('idcard not found');
  });

  it('stores, fetches and deletes blobs per identity, within quotas', async () => {
    const net = await makeNet({ limits: { maxBlobsPerIdentity: 2, maxBlobBytesPerIdentity: 100 } });
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const pa = await net.connect(a);
    const pb = await net.connect(b);
    const put = (p: TestPeer, key: string, value: string) =>
      p.sendSigned(
        '@/store_blob',
        concatBytes(
          new TextEncoder().encode(key),
          Uint8Array.of(0),
          new TextEncoder().encode(value),
        ),
      );
    const r1 = await put(pa, 'k1', 'v1');
    await pa.settle();
    expect(pa.reply(r1)!.flags).toBe(5n);
    const g1 = await pa.sendSigned('@/fetch_blob', new TextEncoder().encode('k1'));
    await pa.settle();
    expect(text(pa.reply(g1)!.body)).toBe('v1');
    const gb = await pb.sendSigned('@/fetch_blob', new TextEncoder().encode('k1'));
    await pb.settle();
    expect(text(pb.reply(gb)!.body)).toBe('blob not found');
    await put(pa, 'k2', 'v2');
    const r3 = await put(pa, 'k3', 'v3');
    await pa.settle();
    expect(text(pa.reply(r3)!.body)).toMatch(/quota exceeded \(2 blobs\)/);
    const big = await put(pb, 'big', 'x'.repeat(101));
    await pb.settle();
    expect(text(pb.reply(big)!.body)).toMatch(/quota exceeded \(100 bytes\)/);
    const del = await pa.sendSigned(
      '@/store_blob',
      concatBytes(new TextEncoder().encode('k1'), Uint8Array.of(0)),
    );
    await pa.settle();
    expect(pa.reply(del)!.flags).toBe(5n);
    const g2 = await pa.sendSigned('@/fetch_blob', new TextEncoder().encode('k1'));
    await pa.settle();
    expect(text(pa.reply(g2)!.body)).toBe('blob not found');
  });

  it('pipelined store_blob requests cannot race past the blob quota', async () => {
    // A store whose writes take a while, as a disk does: both requests are in flight at once.
    class SlowStore extends MemoryRelayStore {
      override async putBlob(owner: string, key: Uint8Array, value: Uint8Array): Promise<void> {
        await new Promise((r) => setTimeout(r, 30));
        await super.putBlob(owner, key, value);
      }
    }
    const store = new SlowStore();
    const net = await makeNet({ store, limits: { maxBlobsPerIdentity: 1 } });
    const a = await makeIdentity();
    const pa = await net.connect(a);
    const put = (key: string) =>
      pa.sendSigned(
        '@/store_blob',
        concatBytes(new TextEncoder().encode(key), Uint8Array.of(0), Uint8Array.of(1, 2, 3)),
      );
    const [r1, r2] = await Promise.all([put('k1'), put('k2')]);
    await new Promise((r) => setTimeout(r, 120));
    await pa.settle();
    const answers = [pa.reply(r1)!, pa.reply(r2)!];
    expect(answers.filter((m) => m.flags === 5n)).toHaveLength(1);
    expect(answers.map((m) => text(m.body)).join()).toMatch(/quota exceeded \(1 blobs\)/);
    expect(await store.blobUsage(a.hash)).toEqual({ count: 1, bytes: 3 });
  });

  it('a store failure is answered "internal error" and reported; only refusals reach the client', async () => {
    // The failing store's message reads like a refusal: the reply must not depend on the text.
    class BrokenStore extends MemoryRelayStore {
      override async getBlob(): Promise<Uint8Array | undefined> {
        throw new Error('blob not found (disk on fire)');
      }
    }
    const events: { operation: string; error: unknown }[] = [];
    const net = await makeNet({
      store: new BrokenStore(),
      onEvent: (e) => {
        if (e.type === 'store-error') events.push(e);
      },
    });
    const pa = await net.connect(await makeIdentity());
    const bad = await pa.sendSigned('@/fetch_blob', new TextEncoder().encode('k'));
    const refused = await pa.sendSigned('@/fetch_blob', new Uint8Array(0));
    await pa.settle();
    expect(pa.reply(bad)!.flags).toBe(7n);
    expect(text(pa.reply(bad)!.body)).toBe('internal error');
    expect(text(pa.reply(refused)!.body)).toBe('fetch_blob takes a key');
    expect(events.map((e) => e.operation)).toEqual(['fetch_blob']);
    expect((events[0]!.error as Error).message).toMatch(/disk on fire/);
  });

  it('pipelined store_blob/delete requests in any interleaving of store delays end as if run one by one', async () => {
    // Each store call waits a number of microtasks drawn by fast-check, so the writes of one
    // identity overlap in arbitrary ways; the outcome must still be the sequential one.
    let delays: number[] = [];
    const pause = async () => {
      for (let i = delays.shift() ?? 0; i > 0; i--) await Promise.resolve();
    };
    class JitteryStore extends MemoryRelayStore {
      override async getBlob(owner: string, key: Uint8Array) {
        await pause();
        return super.getBlob(owner, key);
      }
      override async putBlob(owner: string, key: Uint8Array, value: Uint8Array) {
        await pause();
        return super.putBlob(owner, key, value);
      }
      override async deleteBlob(owner: string, key: Uint8Array) {
        await pause();
        return super.deleteBlob(owner, key);
      }
      override async blobUsage(owner: string) {
        await pause();
        return super.blobUsage(owner);
      }
    }
    const store = new JitteryStore();
    const limits = { maxBlobsPerIdentity: 3, maxBlobBytesPerIdentity: 20 };
    const net = await makeNet({ store, limits });
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const op = fc.record({ key: fc.constantFrom(...keys), size: fc.nat(9) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(6), { maxLength: 60 }),
        async (ops, drawn) => {
          delays = [...drawn];
          const id = await makeIdentity();
          const p = await net.connect(id);
          const sent = ops.map(({ key, size }) =>
            p.sendMessage(
              '@/store_blob',
              concatBytes(
                new TextEncoder().encode(key),
                Uint8Array.of(0),
                new Uint8Array(size).fill(1),
              ),
            ),
          );
          for (let i = 0; i < 30 && sent.some((m) => p.reply(m) === undefined); i++)
            await p.settle();
          // the model: the same requests applied one after the other
          const model = new Map<string, number>();
          const expected = ops.map(({ key, size }) => {
            if (size === 0) {
              model.delete(key);
              return 5n;
            }
            const count = model.size + (model.has(key) ? 0 : 1);
            let bytes = size - (model.get(key) ?? 0);
            for (const v of model.values()) bytes += v;
            if (count > limits.maxBlobsPerIdentity || bytes > limits.maxBlobBytesPerIdentity)
              return 7n;
            model.set(key, size);
            return 5n;
          });
          expect(sent.map((m) => p.reply(m)?.flags)).toEqual(expected);
          for (const m of sent) {
            const r = p.reply(m)!;
            if (r.flags === 7n) expect(text(r.body)).toMatch(/^blob quota exceeded/);
          }
          for (const key of keys) {
            const stored = await store.getBlob(id.hash, new TextEncoder().encode(key));
            expect(stored?.length).toBe(model.get(key));
          }
          const usage = await store.blobUsage(id.hash);
          expect(usage.count).toBeLessThanOrEqual(limits.maxBlobsPerIdentity);
          expect(usage.bytes).toBeLessThanOrEqual(limits.maxBlobBytesPerIdentity);
          p.session!.closed();
        },
      ),
      { numRuns: 200 }, // each case makes an identity and runs a handshake with real signatures
    );
  });

  it('verifies signed request bottles with the injected backend, as the handshake does', async () => {
    let verifies = 0;
    const counting: CryptoBackend = {
      ...fastBackend,
      verify: (...args: Parameters<CryptoBackend['verify']>) => {
        verifies++;
        return fastBackend.verify(...args);
      },
    };
    const net = await makeNet({ cryptoBackend: counting });
    const pa = await net.connect(await makeIdentity());
    const afterHandshake = verifies;
    const q = await pa.sendSigned('@/version', new Uint8Array(0));
    await pa.settle();
    expect(pa.reply(q)).toBeDefined();
    expect(verifies).toBeGreaterThan(afterHandshake);
  });

  it('groups: @/group_update registers, refreshes the member card with grp, g. routes, @/group_list lists', async () => {
    const net = await makeNet();
    const [admin, member, outsider] = [
      await makeIdentity(),
      await makeIdentity(),
      await makeIdentity(),
    ];
    const groupKey = await generatePrivateKey('P-256');
    const pm = await net.connect(member);
    const pa = await net.connect(admin);
    const po = await net.connect(outsider);
    const membership = Membership.create(member.card.self, groupKey.publicKey, {
      now: 1_700_000_000,
    });
    await membership.sign(groupKey);
    const upd = await pa.sendSigned('@/group_update', membership.encode());
    await pa.settle();
    await pm.settle();
    expect(pa.reply(upd)!.flags).toBe(5n);
    // the member was re-challenged with grp, updated its card and answered
    const grpRequest = pm.sent
      .map((p) => decodeHandshakeRequest(p))
      .find((r) => r.groups !== null && r.groups.length > 0);
    expect(grpRequest).toBeDefined();
    expect(member.card.groups?.length).toBe(1);
    expect(pm.closedWith).toBeUndefined();
    const groupHash = toBase64Url(
      new Uint8Array(await crypto.subtle.digest('SHA-256', groupKey.publicKey.pkix)),
    );
    const id = po.sendMessage(`g.${groupHash}/hello`, 'to the group');
    expect(pm.reply(id)?.sender).toBe(`${outsider.address}/test`);
    const list = await pa.sendSigned('@/group_list', groupKey.publicKey.pkix);
    await pa.settle();
    expect(toBase64Url(pa.reply(list)!.body)).toBe(member.hash);
    // a membership not signed by the group key is refused
    const forged = Membership.create(outsider.card.self, groupKey.publicKey, {
      now: 1_700_000_000,
    });
    await forged.sign(outsider.self).catch(() => undefined);
    const bad = await pa.sendSigned('@/group_update', forged.encode());
    await pa.settle();
    expect(pa.reply(bad)!.flags).toBe(7n);
  });

  it('honours at most maxGroupsPerCard memberships of a presented card', async () => {
    const routed = async (limit: number | undefined) => {
      const net = await makeNet(limit === undefined ? {} : { limits: { maxGroupsPerCard: limit } });
      const member = await makeIdentity();
      const groupKeys = [];
      for (let i = 0; i < 3; i++) {
        const key = await generatePrivateKey('P-256');
        const m = Membership.create(member.card.self, key.publicKey, { now: 1_700_000_000 });
        await m.sign(key);
        await member.card.updateGroups([m.encode()]);
        groupKeys.push(key);
      }
      expect(member.card.groups?.length).toBe(3);
      member.blob = await member.card.sign(member.self);
      const pm = await net.connect(member);
      const po = await net.connect(await makeIdentity());
      let count = 0;
      for (const key of groupKeys) {
        const hash = toBase64Url(
          new Uint8Array(await crypto.subtle.digest('SHA-256', key.publicKey.pkix)),
        );
        const id = po.sendMessage(`g.${hash}/hello`, 'hi');
        if (pm.reply(id) !== undefined) count++;
      }
      return count;
    };
    expect(await routed(undefined)).toBe(3); // default 32
    expect(await routed(2)).toBe(2);
    expect(await routed(1)).toBe(1);
  });

  it('keeps at most targetCacheSize parsed targets and routes correctly across evictions', async () => {
    const net = await makeNet({ limits: { targetCacheSize: 2 } });
    const ids = [await makeIdentity(), await makeIdentity(), await makeIdentity()];
    const peers = [];
    for (const id of ids) peers.push(await net.connect(id));
    const from = await net.connect(await makeIdentity());
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < ids.length; i++) {
        const id = from.sendMessage(`${ids[i]!.address}/x`, 'hi');
        expect(peers[i]!.reply(id)?.recipient).toBe(`${ids[i]!.address}/x`);
      }
    }
    const router = new Router(
      {
        serverCode: 'tst1',
        version: 'v',
        limits: resolveLimits({ targetCacheSize: 3 }),
        store: new MemoryRelayStore(),
        clock: { now: () => 0 },
        random: { bytes: (n) => new Uint8Array(n), int: () => 0 },
        stats: emptyStats(),
        event: () => {},
      },
      localOnlyBus,
      new GroupRegistry(),
      new Map(),
    );
    for (const id of ids) {
      expect(router.parseTarget(id.address)).toMatchObject({ type: 'k', hash: id.hash });
      expect(router.parseTarget('not a target')).toBeNull();
      expect(router.cachedTargets).toBeLessThanOrEqual(3);
    }
  });

  it('answers unknown endpoints and p_api with an error', async () => {
    const net = await makeNet();
    const pa = await net.connect(await makeIdentity());
    const a = pa.sendMessage('@/nope', '');
    const b = pa.sendMessage('@/p_api', '{}');
    await pa.settle();
    expect(text(pa.reply(a)!.body)).toBe('unknown endpoint nope');
    expect(text(pa.reply(b)!.body)).toMatch(/not supported/);
  });

  it('keeps cards and memberships across restarts through the store', async () => {
    const store = new MemoryRelayStore();
    const net1 = await makeNet({ store });
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    await net1.connect(b);
    await new Promise((r) => setTimeout(r, 10));
    const net2 = await makeNet({ store });
    const pa = await net2.connect(a);
    const id = await pa.sendSigned(
      '@/idcard_find',
      Uint8Array.from(Buffer.from(b.hash, 'base64url')),
    );
    await pa.settle();
    expect(toHex(pa.reply(id)!.body)).toBe(toHex(b.blob));
  });
});

describe('limits and hostile input', () => {
  it('closes oversized messages with 1009 and keeps serving others', async () => {
    const net = await makeNet();
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const pa = await net.connect(a);
    const pb = await net.connect(b);
    const big = encodeInstantMessage(
      {
        id: new Uint8Array(16),
        flags: 4n,
        recipient: `${b.address}/x`,
        sender: '/y',
        body: new Uint8Array(65536),
      },
      { maxBodyLength: 1 << 20 },
    );
    pa.session!.receive(big);
    expect(pa.closedWith).toMatchObject({ code: CLOSE_TOO_BIG });
    expect(pa.closedWith!.reason).toMatch(/65535/);
    const pc = await net.connect(await makeIdentity());
    pc.sendMessage(`${b.address}/x`, 'still here');
    expect(pb.messages.some((m) => text(m.body) === 'still here')).toBe(true);
  });

  it('counts ignored (text) messages against the same budgets, before any handshake too', async () => {
    const net = await makeNet({ limits: { messagesPerSecond: 10, messageBurst: 20 } });
    const early = await net.connect(await makeIdentity(), { auto: false });
    for (let i = 0; i < 20; i++) early.session!.ignored(1024);
    expect(early.closedWith).toBeUndefined();
    expect(net.relay.stats.ignored).toBe(20);
    early.session!.ignored(1024);
    expect(early.closedWith).toMatchObject({
      code: CLOSE_POLICY,
      reason: expect.stringMatching(/rate limit exceeded: more than 10 messages/),
    });
    expect(net.relay.stats.rejects.rate_limited).toBe(1);

    const big = await net.connect(await makeIdentity());
    big.session!.ignored(net.relay.limits.maxPacketBytes + 1);
    expect(big.closedWith).toMatchObject({ code: CLOSE_TOO_BIG });
    const bytes = await makeNet({ limits: { bytesPerSecond: 1000, byteBurst: 4000 } });
    const heavy = await bytes.connect(await makeIdentity(), { auto: false });
    for (let i = 0; i < 5 && !heavy.closedWith; i++) heavy.session!.ignored(1000);
    expect(heavy.closedWith!.reason).toMatch(/more than 1000 bytes\/s/);
  });

  it('closes a flooding connection and keeps serving the others', async () => {
    const net = await makeNet({ limits: { messagesPerSecond: 10, messageBurst: 20 } });
    const [a, b, c] = [await makeIdentity(), await makeIdentity(), await makeIdentity()];
    const pa = await net.connect(a);
    const pb = await net.connect(b);
    const pc = await net.connect(c);
    for (let i = 0; i < 25; i++) pa.sendMessage(`${b.address}/x`, 'flood');
    expect(pa.closedWith).toMatchObject({
      code: CLOSE_POLICY,
      reason: expect.stringMatching(/rate limit exceeded/),
    });
    expect(pb.messages.filter((m) => text(m.body) === 'flood').length).toBe(20);
    pc.sendMessage(`${b.address}/x`, 'polite');
    expect(pb.messages.some((m) => text(m.body) === 'polite')).toBe(true);
    expect(net.relay.stats.rejects.rate_limited).toBe(1);
    // the budget refills with time
    net.clock.advance(1000);
    for (let i = 0; i < 10; i++) pc.sendMessage(`${b.address}/x`, 'ok');
    expect(pc.closedWith).toBeUndefined();
  });

  it('a receiver that stops reading loses only its own messages', async () => {
    const net = await makeNet({ limits: { maxQueuedBytes: 10_000 } });
    const ids = await Promise.all([0, 1, 2, 3].map(() => makeIdentity()));
    const [sender1, stalled, sender2, healthy] = await Promise.all(ids.map((i) => net.connect(i)));
    stalled!.bufferedAmount = 50_000; // its socket stopped draining
    for (let i = 0; i < 100; i++) {
      sender1!.sendMessage(`${ids[1]!.address}/x`, 'to stalled');
      sender2!.sendMessage(`${ids[3]!.address}/x`, 'to healthy');
    }
    expect(healthy!.messages.filter((m) => text(m.body) === 'to healthy').length).toBe(100);
    expect(stalled!.messages.filter((m) => text(m.body) === 'to stalled').length).toBe(0);
    expect(net.relay.stats.drops.queue_full).toBe(100);
  });

  it('limits connections per IP and in total', async () => {
    const net = await makeNet({ limits: { maxConnectionsPerIp: 2, maxConnections: 3 } });
    await net.connect(undefined, { auto: false, address: '10.9.9.9' });
    await net.connect(undefined, { auto: false, address: '10.9.9.9' });
    const third = await net.connect(undefined, { auto: false, address: '10.9.9.9' });
    expect(third.session).toBeNull();
    expect(third.closedWith).toMatchObject({
      code: CLOSE_TRY_LATER,
      reason: expect.stringMatching(/too many connections from 10\.9\.9\.9/),
    });
    await net.connect(undefined, { auto: false, address: '10.1.1.1' });
    const fifth = await net.connect(undefined, { auto: false, address: '10.2.2.2' });
    expect(fifth.closedWith?.reason).toMatch(/relay is full/);
  });

  it('survives arbitrary packets from an online connection; others keep being served', async () => {
    const net = await makeNet({ limits: { messagesPerSecond: 1e9, messageBurst: 1e9 } });
    const [b, victim] = [await makeIdentity(), await makeIdentity()];
    const pb = await net.connect(b);
    const pv = await net.connect(victim);
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((x) => Uint8Array.of(0x02, ...x)),
      fc.uint8Array({ maxLength: 200 }).map((x) => Uint8Array.of(0x01, ...x)),
    );
    const attacker = await makeIdentity();
    await fc.assert(
      fc.asyncProperty(arb, async (bytes) => {
        const pa = await net.connect(attacker);
        pa.session!.receive(bytes);
        await pa.settle();
        pv.sendMessage(`${b.address}/x`, 'alive');
        expect(pb.messages.at(-1) && text(pb.messages.at(-1)!.body)).toBe('alive');
        pa.session!.closed();
      }),
      { numRuns: 500 }, // each case runs a full handshake with real signatures
    );
    expect(pv.closedWith).toBeUndefined();
  });
});

describe('construction', () => {
  it('validates the server code and limits', () => {
    expect(() => new Relay({ serverCode: 'a.b' })).toThrow(/serverCode/);
    expect(() => new Relay({ serverCode: 'ok', limits: { maxConnections: 0 } })).toThrow(
      /maxConnections/,
    );
  });
});

describe('reflection', () => {
  it('responses beyond their budget are dropped, never get the responder disconnected', async () => {
    const net = await makeNet({ limits: { messagesPerSecond: 10, messageBurst: 10 } });
    const [a, b] = [await makeIdentity(), await makeIdentity()];
    const pa = await net.connect(a);
    const pb = await net.connect(b);
    // b answers 30 requests at once: 20 fit the response budget (twice the request budget)
    for (let i = 0; i < 30; i++)
      pb.sendMessage(`${a.address}/q${i}`, 'answer', {
        flags: MsgFlag.Response | MsgFlag.NotBottle,
      });
    expect(pb.closedWith).toBeUndefined();
    expect(pa.messages.filter((m) => text(m.body) === 'answer').length).toBe(20);
    expect(net.relay.stats.drops.rate_limited).toBe(10);
    // b's own request budget is untouched
    for (let i = 0; i < 10; i++) pb.sendMessage(`${a.address}/x`, 'request');
    expect(pb.closedWith).toBeUndefined();
  });
});
