import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../src/index.js';
import { CH, envelope, identityOf, msgId, N1, N2, NODE, probe } from './harness.js';

const certificateFrom = async (owner: string, of = owner) => ({
  node_id: owner,
  recipient_id: NODE,
  certificate: toBase64((await identityOf(of)).certificate),
});

describe('certificates (§7.1, §8.7-8.8)', () => {
  it('answers GETCERTIFICATE with its signed ID card, referencing the request, under a fresh msg_id', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    const request = msgId();
    p.from('l1', envelope('GETCERTIFICATE', { node_id: N1 }, { target: NODE, id: request }));
    const cert = p.sent('l1').find((m) => m.msg_type === 'CERTIFICATE')!;
    expect(cert).toMatchObject({
      target_id: N1,
      msg_data: { node_id: NODE, recipient_id: N1, msg_id: request },
    });
    expect(cert.msg_id).not.toBe(request);
    const data = cert.msg_data as { certificate: string };
    expect(fromBase64(data.certificate)).toEqual((await identityOf(NODE)).certificate);
  });

  it('pins the first valid certificate per GUID and rejects a GUID impostor', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.from('l1', envelope('CERTIFICATE', await certificateFrom(N1), { target: NODE }));
    await p.node.idle();
    expect(p.events('certificate')).toMatchObject([{ nodeId: N1 }]);
    expect(p.node.hasCertificate(N1)).toBe(true);
    // Someone else's key under N1's GUID (another name, same GUID): refused, pin kept.
    const impostor = `mallory@${N1.split('@')[1]}`;
    const forged = { ...(await certificateFrom(impostor)), node_id: impostor };
    p.from('l1', envelope('CERTIFICATE', forged, { target: NODE, sender: impostor }));
    await p.node.idle();
    expect(p.node.counters.drops['guid-impostor']).toBe(1);
    expect(p.events('certificate')).toHaveLength(1);
    const [, pinned] = p.node.certificatePins().find(([guid]) => guid === N1.split('@')[1])!;
    expect(pinned).toEqual((await identityOf(N1)).certificate);
  });

  it('rejects a card that names another node, garbage, and a certificate for someone else', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.from('l1', envelope('CERTIFICATE', await certificateFrom(N1, N2), { target: NODE }));
    p.from('l1', envelope('CERTIFICATE', { node_id: N1, certificate: 'AAAA' }, { target: NODE }));
    p.from('l1', envelope('CERTIFICATE', { node_id: N1, certificate: '%%%' }, { target: NODE }));
    p.from('l1', envelope('CERTIFICATE', await certificateFrom(N2), { target: NODE, sender: N1 }));
    await p.node.idle();
    expect(p.node.counters.drops['bad-certificate']).toBe(4);
    expect(p.node.hasCertificate(N1)).toBe(false);
    expect(p.node.hasCertificate(N2)).toBe(false);
  });

  it('pins persist across restarts (certificatePins → pins)', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.from('l1', envelope('CERTIFICATE', await certificateFrom(N1), { target: NODE }));
    await p.node.idle();
    const again = await probe({}, { pins: p.node.certificatePins() });
    await again.node.idle();
    expect(again.node.hasCertificate(N1)).toBe(true);
    void CH;
  });

  it('does not ask the same node again within the request interval', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.clear();
    const flood = async () => {
      const { sealContent } = await import('../src/content.js');
      const signer = (await identityOf(N1)).signer;
      const message = await sealContent(new TextEncoder().encode('hi'), signer, {
        random: (n) => new Uint8Array(n),
      });
      return envelope(
        'MESSAGE',
        {
          node_id: N1,
          timestamp: '2026-01-01T00:00:00Z',
          channel: 'c',
          channel_id: p.node.channels()[0]!.channelId,
          message,
        },
        { flood: true },
      );
    };
    p.node.createChannel('c');
    p.from('l1', await flood());
    p.from('l1', await flood());
    expect(p.sent('l1').filter((m) => m.msg_type === 'GETCERTIFICATE')).toHaveLength(1);
    p.now += 10_000;
    p.from('l1', await flood());
    expect(p.sent('l1').filter((m) => m.msg_type === 'GETCERTIFICATE')).toHaveLength(2);
  });
});
