// fast-check: arbitrary event orders and inputs never make the engine throw.
import { utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, PtpchatError, VERBS } from '../src/index.js';
import { CH, FAR, N1, N2, N3, probe } from './harness.js';

const ids = [N1, N2, N3, FAR, 'x@not-a-guid', 'bare', '99999999-9999-4999-8999-999999999999'];
const peers = ['l1', 'l2', 'l3'];

const data = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.record({ node_id: fc.constantFrom(...ids) }),
  fc.record({ msg_id: fc.uuid() }),
  fc.record({
    node_id: fc.constantFrom(...ids),
    channel: fc.string({ maxLength: 5 }),
    channel_id: fc.constantFrom(CH, 'x'),
    members: fc.array(fc.record({ node_id: fc.constantFrom(...ids) }), { maxLength: 3 }),
    closed: fc.boolean(),
  }),
  fc.record({
    nodes: fc.array(
      fc.record({ node_id: fc.constantFrom(...ids), ttl: fc.integer({ min: -2, max: 40 }) }),
      { maxLength: 4 },
    ),
  }),
  fc.record({
    stage: fc.integer({ min: 0, max: 6 }),
    initiator_id: fc.constantFrom(...ids),
    responder_id: fc.constantFrom(...ids),
    dst: fc.constantFrom('', '1.2.3.4:5', '[::1]:9', '9', 'x'),
    src: fc.constantFrom('', '40001', '1.2.3.4'),
  }),
  fc.record({
    node_id: fc.constantFrom(...ids),
    certificate: fc.base64String({ maxLength: 40 }),
    recipient_id: fc.constantFrom(...ids),
  }),
  fc.record({
    node_id: fc.constantFrom(...ids),
    timestamp: fc.constant('2026-01-01T00:00:00Z'),
    channel: fc.constant('c'),
    channel_id: fc.constant(CH),
    message: fc.base64String({ maxLength: 40 }),
  }),
);

const message = fc.record({
  msg_type: fc.constantFrom(...VERBS, 'hello', 'RELAY'),
  msg_data: data,
  ttl: fc.oneof(fc.integer({ min: -3, max: 40 }), fc.constant(2 ** 53 - 1)),
  flood: fc.boolean(),
  sender_id: fc.constantFrom(...ids),
  target_id: fc.constantFrom(null, ...ids, 'node@11111111-1111-4111-8111-111111111111'),
  msg_id: fc.oneof(fc.uuid(), fc.constantFrom('dup-1', 'dup-2')),
});

const event = fc.oneof(
  fc.record({ kind: fc.constant('connect' as const), peer: fc.constantFrom(...peers) }),
  fc.record({ kind: fc.constant('disconnect' as const), peer: fc.constantFrom(...peers) }),
  fc.record({
    kind: fc.constant('hello' as const),
    peer: fc.constantFrom(...peers),
    id: fc.constantFrom(...ids),
  }),
  fc.record({ kind: fc.constant('message' as const), peer: fc.constantFrom(...peers), message }),
  fc.record({
    kind: fc.constant('bytes' as const),
    peer: fc.constantFrom(...peers),
    bytes: fc.uint8Array({ maxLength: 40 }),
  }),
  fc.record({
    kind: fc.constant('datagram' as const),
    from: fc.constantFrom('1.2.3.4:5', '[::1]:9', 'junk'),
    message,
  }),
  fc.record({ kind: fc.constant('timer' as const), dt: fc.integer({ min: 0, max: 20_000 }) }),
  fc.record({
    kind: fc.constant('user' as const),
    which: fc.integer({ min: 0, max: 5 }),
    target: fc.constantFrom(...ids),
  }),
);

describe('engine properties', () => {
  it('arbitrary event orders never throw (user actions throw only PtpchatError)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 25 }), async (events) => {
        const p = await probe({ deadAfterMs: 6000 });
        let channel: string | undefined;
        for (const e of events) {
          switch (e.kind) {
            case 'connect':
              p.node.peerConnected(
                e.peer,
                { transport: 'tcp', remoteAddress: '192.0.2.1:4000' },
                p.now,
              );
              break;
            case 'disconnect':
              p.node.peerDisconnected(e.peer, p.now);
              break;
            case 'hello':
              p.node.receive(
                e.peer,
                {
                  msg_type: 'HELLO',
                  sender_id: e.id,
                  msg_data: { node_id: e.id, attributes: { udp_port: 9001 } },
                },
                p.now,
              );
              break;
            case 'message':
              p.node.receiveBytes(
                e.peer,
                encodeFrame(utf8Encode(JSON.stringify(e.message))),
                p.now,
              );
              p.node.receive(e.peer, e.message, p.now);
              break;
            case 'bytes':
              p.node.receiveBytes(e.peer, e.bytes, p.now);
              break;
            case 'datagram':
              p.node.receiveDatagram(e.from, utf8Encode(JSON.stringify(e.message)), p.now);
              break;
            case 'timer':
              await p.advance(e.dt);
              break;
            case 'user':
              try {
                if (e.which === 0)
                  channel = p.node.createChannel('c', { closed: e.target === N1 }).channelId;
                else if (e.which === 1) p.node.join(channel ?? CH);
                else if (e.which === 2) await p.node.sendMessage(channel ?? CH, 'hi');
                else if (e.which === 3) p.node.invite(channel ?? CH, e.target);
                else if (e.which === 4) p.node.connect(e.target);
                else p.node.leave(channel ?? CH);
              } catch (err) {
                expect(err).toBeInstanceOf(PtpchatError);
              }
              break;
          }
        }
        await p.node.idle();
        expect(p.node.sizes.links).toBeLessThanOrEqual(3 + 8);
      }),
    );
  });
});
