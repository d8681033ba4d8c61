// The relay fast path: transit messages forwarded without validating their msg_data, and
// canonical frames forwarded by rewriting the TTL in the received bytes (codec/splice.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../src/codec/message.js';
import { envelopeTail, spliceable, splicedFrame } from '../src/codec/splice.js';
import type { PtpchatOutput } from '../src/index.js';
import { CH, msgId, N1, N2, N3, NODE, probe } from './harness.js';

const frameOf = (text: string) => {
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
};
const bodyText = (o: PtpchatOutput) =>
  o.type === 'send' ? new TextDecoder().decode(o.bytes.subarray(4)) : '';

/** A canonical envelope around `data` (any JSON text), as peerwire and the reference emit. */
const canonical = (verb: string, data: string, ttl: number, target: string | null, id: string) =>
  `{"msg_type":"${verb}","msg_data":${data}${envelopeTail(ttl, false, N1, target, id)}`;

async function relay() {
  const p = await probe();
  p.neighbour('l1', N1);
  p.neighbour('l2', N2);
  p.neighbour('l3', N3);
  p.clear();
  return p;
}
const forwarded = (p: Awaited<ReturnType<typeof relay>>, peer: string) =>
  p.out.filter((o) => o.type === 'send' && o.peer === peer && o.message.msg_type !== 'ACK');

describe('relay fast path', () => {
  it('forwards a canonical frame byte for byte but the TTL (msg_data as sent, spaces and all)', async () => {
    const p = await relay();
    const id = msgId();
    // Odd but valid JSON inside msg_data: re-encoding would normalise it, splicing keeps it.
    const data = `{ "node_id" : "${N1}", "channel":"general","channel_id":"${CH}", "timestamp":"2026-01-01T00:00:00Z","message":"AAAA" }`;
    p.node.receiveBytes('l1', frameOf(canonical('MESSAGE', data, 9, N2, id)), p.now);
    const out = forwarded(p, 'l2');
    expect(out).toHaveLength(1);
    expect(bodyText(out[0]!)).toBe(canonical('MESSAGE', data, 8, N2, id));
    expect(p.sent('l1')).toMatchObject([{ msg_type: 'ACK', msg_data: { msg_id: id } }]);
  });

  it('re-encodes what is not in the canonical form (key order, case, trailing space)', async () => {
    const p = await relay();
    const [id, id2] = [msgId(), msgId()];
    const data = {
      node_id: N1,
      channel: 'g',
      channel_id: CH,
      timestamp: '2026-01-01T00:00:00Z',
      message: 'AAAA',
    };
    const variants = [
      JSON.stringify({
        msg_id: id,
        msg_type: 'MESSAGE',
        msg_data: data,
        ttl: 5,
        flood: false,
        sender_id: N1,
        target_id: N2,
      }),
      `${canonical('MESSAGE', JSON.stringify(data), 5, N2, id2.toUpperCase())}`,
      `${canonical('message', JSON.stringify(data), 5, N2, `${id}x`)} `,
    ];
    for (const v of variants) p.node.receiveBytes('l1', frameOf(v), p.now);
    const out = forwarded(p, 'l2').map(bodyText);
    expect(out).toHaveLength(3);
    for (const [i, text] of out.entries()) {
      const m = JSON.parse(text);
      expect(Object.keys(m)).toEqual([
        'msg_type',
        'msg_data',
        'ttl',
        'flood',
        'sender_id',
        'target_id',
        'msg_id',
      ]);
      expect(m).toMatchObject({ msg_type: 'MESSAGE', ttl: 4, target_id: N2, msg_data: data });
      expect(m.msg_id).toBe([id, id2, `${id}x`][i]);
    }
  });

  it('does not validate the msg_data of messages it only passes on, but of its own and of floods', async () => {
    const p = await relay();
    const bad = `{"channel_id":"not an id","message":42}`; // not a MESSAGE's msg_data
    p.node.receiveBytes('l1', frameOf(canonical('MESSAGE', bad, 5, N2, msgId())), p.now);
    expect(forwarded(p, 'l2')).toHaveLength(1); // the recipient's to refuse
    expect(p.node.counters.drops.malformed).toBe(0);
    p.clear();
    p.node.receiveBytes('l1', frameOf(canonical('MESSAGE', bad, 5, NODE, msgId())), p.now);
    const flood = canonical('MESSAGE', bad, 5, null, msgId()).replace(
      '"flood":false',
      '"flood":true',
    );
    p.node.receiveBytes('l1', frameOf(flood), p.now);
    expect(p.node.counters.drops.malformed).toBe(2);
    expect(p.sent()).toEqual([]); // neither ACKed nor forwarded
    // The envelope of a transit message is still checked: a bad target is malformed.
    p.node.receiveBytes('l1', frameOf(canonical('MESSAGE', '{}', 5, 'no id', msgId())), p.now);
    expect(p.node.counters.drops.malformed).toBe(3);
  });

  it('splices exactly what JSON.parse reads: arbitrary msg_data and ids', () => {
    fc.assert(
      fc.property(
        fc.json(),
        fc.oneof(fc.uuid(), fc.string({ maxLength: 70 })),
        fc.integer({ min: 1, max: 32 }),
        fc.option(fc.constantFrom(N2, N3), { nil: null }),
        (data, id, ttl, target) => {
          const obj = JSON.parse(data);
          if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return;
          const text = `{"msg_type":"MESSAGE","msg_data":${data},"ttl":${ttl},"flood":false,"sender_id":"${N1}","target_id":${target === null ? 'null' : `"${target}"`},"msg_id":${JSON.stringify(id)}}`;
          const value = JSON.parse(text);
          let env: ReturnType<typeof parseEnvelope>;
          try {
            env = parseEnvelope(value);
          } catch {
            return;
          }
          const bytes = new TextEncoder().encode(text);
          const frame = spliceable(bytes, text, value, env);
          if (frame === undefined) {
            expect(/^[0-9a-z-]{1,64}$/.test(id)).toBe(false);
            return;
          }
          const out = splicedFrame(frame, envelopeTail(ttl - 1, false, N1, target, id), 99_999);
          expect(JSON.parse(new TextDecoder().decode(out.subarray(4)))).toEqual({
            ...value,
            ttl: ttl - 1,
          });
          expect(new DataView(out.buffer).getUint32(0)).toBe(out.length - 4);
        },
      ),
    );
  });

  it('finds the real tail when msg_data quotes one', () => {
    // The tail text appears inside a string of msg_data, and the real envelope differs.
    const id = msgId();
    const fake = envelopeTail(5, false, N1, N2, id).replaceAll('"', '\\"');
    const text = `{"msg_type":"MESSAGE","msg_data":{"x":"${fake}"},"ttl":7,"flood":false,"sender_id":"${N1}","target_id":"${N2}","msg_id":"${id}"}`;
    const value = JSON.parse(text);
    const frame = spliceable(new TextEncoder().encode(text), text, value, parseEnvelope(value));
    expect(frame?.head).toBe(text.length - envelopeTail(7, false, N1, N2, id).length);
  });
});
