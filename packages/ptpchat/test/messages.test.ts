import { describe, expect, it } from 'vitest';
import { sealContent } from '../src/content.js';
import { toBase64 } from '../src/index.js';
import { envelope, identityOf, msgId, N1, N2, NODE, type Probe, probe } from './harness.js';
import { SimNetwork } from './sim.js';

const zero = (n: number) => new Uint8Array(n);

async function signedBy(nodeId: string, text: string | Uint8Array) {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  return sealContent(bytes, (await identityOf(nodeId)).signer, { random: zero });
}

async function setup(limits = {}) {
  const p = await probe(limits);
  p.neighbour('l1', N1);
  const ch = p.node.createChannel('general');
  const message = (
    content: string,
    o: { sender?: string; id?: string; attachment?: object[] } = {},
  ) =>
    envelope(
      'MESSAGE',
      {
        node_id: o.sender ?? N1,
        recipient: [],
        timestamp: '2026-12-03T10:15:30.250Z',
        channel: 'general',
        channel_id: ch.channelId,
        message: content,
        ...(o.attachment ? { attachment: o.attachment } : {}),
      },
      { flood: true, sender: o.sender ?? N1, ...(o.id ? { id: o.id } : {}) },
    );
  return { p, ch, message };
}

async function giveCertificate(p: Probe, of: string) {
  p.from(
    'l1',
    envelope(
      'CERTIFICATE',
      { node_id: of, certificate: toBase64((await identityOf(of)).certificate) },
      { sender: of, target: NODE },
    ),
  );
  await p.node.idle();
}

describe('MESSAGE (§7.2, §8.11)', () => {
  it('holds a message from an unknown sender, fetches the certificate, then delivers it', async () => {
    const { p, ch, message } = await setup();
    p.clear();
    p.from('l1', message(await signedBy(N1, 'hello')));
    await p.node.idle();
    expect(p.events('message')).toEqual([]);
    expect(p.sent('l1').find((m) => m.msg_type === 'GETCERTIFICATE')).toMatchObject({
      target_id: N1,
    });
    await giveCertificate(p, N1);
    expect(p.events('message')).toMatchObject([
      {
        from: N1,
        channelId: ch.channelId,
        text: 'hello',
        timestamp: '2026-12-03T10:15:30.250Z',
        closed: false,
      },
    ]);
  });

  it('rejects forged signatures and replayed bottles', async () => {
    const { p, message } = await setup();
    await giveCertificate(p, N1);
    p.from('l1', message(await signedBy(N2, 'I am N1, honest'))); // N2's key, N1's name
    await p.node.idle();
    expect(p.node.counters.drops['bad-signature']).toBe(1);
    const good = await signedBy(N1, 'once');
    const id = msgId();
    p.from('l1', message(good, { id }));
    p.from('l1', message(good, { id })); // the same message: the duplicate cache
    p.from('l1', message(good)); // a replay under a fresh msg_id: the signature cache
    await p.node.idle();
    expect(p.events('message').map((m) => m.text)).toEqual(['once']);
    expect(p.node.counters.duplicatesDropped).toBe(1);
    expect(p.node.counters.drops.duplicate).toBe(2);
  });

  it('bounds the hold queue per sender and in time', async () => {
    const { p, message } = await setup({ maxHeldPerSender: 2, heldMessageTtlMs: 5000 });
    for (let i = 0; i < 3; i++) p.from('l1', message(await signedBy(N1, `m${i}`)));
    expect(p.node.counters.drops['held-overflow']).toBe(1);
    expect(p.node.sizes.held).toBe(2);
    for (let i = 0; i < 3; i++) {
      await p.advance(2000);
      p.from('l1', envelope('HELLO', { node_id: N1 }, { sender: N1, ttl: 1 }));
    }
    expect(p.node.sizes.held).toBe(0);
    expect(p.node.counters.drops['unknown-sender']).toBe(2);
  });

  it('carries attachments with MIME types; enforces the size limit on both sides', async () => {
    const net = new SimNetwork({ seed: 5 });
    const a = await net.addNode('alice');
    const b = await net.addNode('bob', { limits: { maxAttachmentBytes: 1000 } });
    net.connect(a, b);
    await net.runFor(500);
    const ch = a.node.createChannel('files');
    await net.runFor(500);
    b.node.join(ch.channelId);
    await net.runFor(500);
    const png = Uint8Array.from({ length: 900 }, (_, i) => i & 255);
    await a.node.sendMessage(ch.channelId, 'a picture', {
      attachments: [{ type: 'image/png', data: png }],
    });
    await net.runFor(1000);
    const [got] = net.eventsOf(b, 'message');
    expect(got!.attachments).toEqual([{ type: 'image/png', data: png }]);
    expect(got!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/); // RFC 3339 UTC, ms
    // Too large for bob (1000), fine for alice (64 KiB): bob drops it.
    await a.node.sendMessage(ch.channelId, 'a big one', {
      attachments: [{ type: 'application/octet-stream', data: new Uint8Array(5000) }],
    });
    await net.runFor(1000);
    expect(net.eventsOf(b, 'message')).toHaveLength(1);
    expect(b.node.counters.drops['attachment-too-large']).toBe(1);
    await expect(
      a.node.sendMessage(ch.channelId, 'x', {
        attachments: [{ type: 'x/y', data: new Uint8Array(70_000) }],
      }),
    ).rejects.toMatchObject({ code: 'ATTACHMENT_TOO_LARGE' });
    await expect(
      a.node.sendMessage(ch.channelId, 'x', {
        attachments: [{ type: 'not a mime', data: new Uint8Array(1) }],
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ACTION' });
  });

  it('does not deliver messages of channels this node has not joined (it still forwards them)', async () => {
    const { p, message } = await setup();
    p.neighbour('l2', N2);
    await giveCertificate(p, N1);
    p.node.leave(p.node.channels()[0]!.channelId);
    p.clear();
    p.from('l1', message(await signedBy(N1, 'not for you')));
    await p.node.idle();
    expect(p.events('message')).toEqual([]);
    expect(p.sent('l2').map((m) => m.msg_type)).toEqual(['MESSAGE']);
  });
  it('delivers the same text sent twice (Ed25519 signs deterministically: each bottle carries a nonce)', async () => {
    const net = new SimNetwork({ seed: 5 });
    const a = await net.addNode('alice');
    const b = await net.addNode('bob');
    net.connect(a, b);
    await net.runFor(1000);
    for (const closed of [false, true]) {
      const ch = a.node.createChannel(closed ? 'secret' : 'general', { closed });
      await net.runFor(1000);
      if (closed) {
        a.node.invite(ch.channelId, b.node.nodeId);
        await net.runFor(2000);
      }
      b.node.join(ch.channelId);
      await net.runFor(1000);
      await a.node.sendMessage(ch.channelId, 'same text');
      await net.runFor(1000);
      await a.node.sendMessage(ch.channelId, 'same text');
      await net.runFor(1000);
      expect(
        net
          .eventsOf(b, 'message')
          .filter((m) => m.channelId === ch.channelId)
          .map((m) => m.text),
      ).toEqual(['same text', 'same text']);
    }
    expect(b.node.counters.drops.duplicate ?? 0).toBe(0);
  });
});
