import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import { loadVectors } from '../../../tooling/vectors.js';
import {
  DecodeError,
  decodeInstantMessage,
  decodePacket,
  EncodeError,
  encodeInstantMessage,
  encodePing,
  fromHex,
  hasFlag,
  MsgFlag,
  messageIdFromRandom,
  messageIdToUuid,
  toHex,
  uuidToMessageId,
} from '../src/index.js';

interface MessageCase {
  name: string;
  compare?: string;
  packet_hex?: string;
  packet_prefix_hex?: string;
  packet_length?: number;
  packet_sha256_hex?: string;
  body_sha256_hex?: string;
  pong_packet_hex?: string;
  decoded?: {
    type: number;
    message_id_hex?: string;
    message_id_uuid?: string;
    flags_decimal?: string;
    recipient?: string;
    recipient_byte_length?: number;
    sender?: string;
    sender_byte_length?: number;
    body_length?: number;
    body_hex?: string;
    payload_hex?: string;
  };
  expected?: unknown;
}

const { cases } = loadVectors<{ cases: MessageCase[] }>('spot/messages.json');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function packetOf(c: MessageCase): Uint8Array {
  if (c.packet_hex !== undefined) return fromHex(c.packet_hex);
  // body_65535_bytes: prefix + body where byte i = i mod 251
  const prefix = fromHex(c.packet_prefix_hex!);
  const body = Uint8Array.from({ length: c.decoded!.body_length! }, (_, i) => i % 251);
  const packet = new Uint8Array(prefix.length + body.length);
  packet.set(prefix);
  packet.set(body, prefix.length);
  return packet;
}

describe('messages.json vectors', () => {
  const messageCases = cases.filter((c) => !c.name.startsWith('neg_') && c.decoded?.type === 2);
  const pingCases = cases.filter((c) => !c.name.startsWith('neg_') && c.decoded?.type === 0);

  it('covers every case in the file', () => {
    const negatives = cases.filter((c) => c.name.startsWith('neg_'));
    expect(messageCases.length + pingCases.length + negatives.length).toBe(cases.length);
    expect(messageCases.length).toBeGreaterThan(15);
  });

  it.each(messageCases.map((c) => [c.name, c] as const))('%s decodes as Go does', (_name, c) => {
    const packet = packetOf(c);
    if (c.packet_sha256_hex) expect(sha256(packet)).toBe(c.packet_sha256_hex);
    const d = c.decoded!;
    const msg = decodeInstantMessage(packet);
    expect(toHex(msg.id)).toBe(d.message_id_hex);
    expect(messageIdToUuid(msg.id)).toBe(d.message_id_uuid);
    expect(msg.flags.toString()).toBe(d.flags_decimal);
    expect(msg.recipient).toBe(d.recipient);
    expect(new TextEncoder().encode(msg.recipient).length).toBe(d.recipient_byte_length);
    expect(msg.sender).toBe(d.sender);
    expect(msg.body.length).toBe(d.body_length);
    if (d.body_hex !== undefined) expect(toHex(msg.body)).toBe(d.body_hex);
    if (c.body_sha256_hex) expect(sha256(msg.body)).toBe(c.body_sha256_hex);
    const viaDispatcher = decodePacket(packet);
    expect(viaDispatcher.type).toBe('message');
  });

  it.each(
    messageCases.filter((c) => c.compare?.startsWith('bytes')).map((c) => [c.name, c] as const),
  )('%s encodes byte for byte', (_name, c) => {
    const packet = packetOf(c);
    const msg = decodeInstantMessage(packet);
    const reencoded = encodeInstantMessage({
      id: fromHex(c.decoded!.message_id_hex!),
      flags: BigInt(c.decoded!.flags_decimal!),
      recipient: c.decoded!.recipient!,
      sender: c.decoded!.sender!,
      body: msg.body.slice(),
    });
    expect(toHex(reencoded)).toBe(toHex(packet));
  });

  it('accepts the non-minimal varint Go accepts, and re-encodes it minimally', () => {
    const c = cases.find((x) => x.name === 'non_minimal_flags_varint')!;
    const msg = decodeInstantMessage(packetOf(c));
    expect(msg.flags).toBe(0n);
    const again = encodeInstantMessage(msg);
    expect(again.length).toBe(packetOf(c).length - 1);
    expect(decodeInstantMessage(again)).toEqual(msg);
  });

  it.each(pingCases.map((c) => [c.name, c] as const))('%s: ping and pong', (_name, c) => {
    const packet = packetOf(c);
    const decoded = decodePacket(packet);
    expect(decoded).toEqual({ type: 'ping', payload: fromHex(c.decoded!.payload_hex!) });
    if (decoded.type !== 'ping') throw new Error('unreachable');
    expect(toHex(encodePing(decoded.payload))).toBe(c.pong_packet_hex);
  });

  const expectedCode: Record<string, string> = {
    neg_recipient_257_bytes: 'NAME_TOO_LONG',
    neg_sender_257_bytes: 'NAME_TOO_LONG',
    neg_truncated_message_id: 'TRUNCATED',
    neg_name_longer_than_packet: 'TRUNCATED',
    neg_missing_sender: 'TRUNCATED',
    neg_flags_varint_overflow: 'VARINT_OVERFLOW',
    neg_version_not_zero: 'BAD_VERSION',
    neg_unknown_type: 'UNKNOWN_TYPE',
    neg_empty_packet: 'TRUNCATED',
  };
  const negatives = cases.filter((c) => c.name.startsWith('neg_'));

  it('has an expected error code for every negative case', () => {
    expect(negatives.map((c) => c.name).sort()).toEqual(Object.keys(expectedCode).sort());
  });

  it.each(negatives.map((c) => [c.name, c] as const))(
    '%s is rejected with a typed error',
    (name, c) => {
      expectThrowsCode(() => decodePacket(packetOf(c)), DecodeError, expectedCode[name]!);
    },
  );
});

const id = Uint8Array.from({ length: 16 }, (_, i) => i);

describe('encoder limits', () => {
  it('refuses names over 256 bytes and accepts exactly 256', () => {
    const ok = 'a'.repeat(256);
    expect(
      decodeInstantMessage(
        encodeInstantMessage({ id, recipient: ok, sender: ok, body: new Uint8Array() }),
      ).recipient,
    ).toBe(ok);
    expectThrowsCode(
      () =>
        encodeInstantMessage({
          id,
          recipient: 'é'.repeat(129),
          sender: '',
          body: new Uint8Array(),
        }),
      EncodeError,
      'NAME_TOO_LONG',
    );
    expectThrowsCode(
      () =>
        encodeInstantMessage({
          id,
          recipient: '',
          sender: 'x'.repeat(257),
          body: new Uint8Array(),
        }),
      EncodeError,
      'NAME_TOO_LONG',
    );
  });

  it('honours larger name limits without preallocating them', () => {
    const long = 'é'.repeat(450); // 900 bytes
    const packet = encodeInstantMessage(
      { id, recipient: long, sender: 'b', body: new Uint8Array() },
      { maxNameLength: 1000 },
    );
    expect(decodeInstantMessage(packet, { maxNameLength: 1000 }).recipient).toBe(long);
    const unlimited = { maxNameLength: Number.MAX_SAFE_INTEGER };
    expect(
      decodeInstantMessage(
        encodeInstantMessage(
          { id, recipient: 'a', sender: long, body: new Uint8Array() },
          unlimited,
        ),
        unlimited,
      ).sender,
    ).toBe(long);
    expectThrowsCode(() => decodeInstantMessage(packet), DecodeError, 'NAME_TOO_LONG');
  });

  it('refuses bodies over the limit, which is configurable', () => {
    expectThrowsCode(
      () => encodeInstantMessage({ id, recipient: 'a', sender: 'b', body: new Uint8Array(65536) }),
      EncodeError,
      'BODY_TOO_LARGE',
    );
    const small = encodeInstantMessage({
      id,
      recipient: 'a',
      sender: 'b',
      body: new Uint8Array(11),
    });
    expectThrowsCode(
      () => decodeInstantMessage(small, { maxBodyLength: 10 }),
      DecodeError,
      'BODY_TOO_LARGE',
    );
    const big = encodeInstantMessage(
      { id, recipient: 'a', sender: 'b', body: new Uint8Array(70000) },
      { maxBodyLength: 1 << 20 },
    );
    expect(decodeInstantMessage(big, { maxBodyLength: 1 << 20 }).body.length).toBe(70000);
    expectThrowsCode(() => decodeInstantMessage(big), DecodeError, 'BODY_TOO_LARGE');
  });

  it('refuses a malformed id, negative or oversized flags and lone surrogates', () => {
    expectThrowsCode(
      () =>
        encodeInstantMessage({
          id: id.subarray(1),
          recipient: 'a',
          sender: 'b',
          body: new Uint8Array(),
        }),
      EncodeError,
      'BAD_VALUE',
    );
    expectThrowsCode(
      () =>
        encodeInstantMessage({
          id,
          flags: -1,
          recipient: 'a',
          sender: 'b',
          body: new Uint8Array(),
        }),
      EncodeError,
      'BAD_VALUE',
    );
    expectThrowsCode(
      () =>
        encodeInstantMessage({
          id,
          flags: 1n << 64n,
          recipient: 'a',
          sender: 'b',
          body: new Uint8Array(),
        }),
      EncodeError,
      'BAD_VALUE',
    );
    expectThrowsCode(
      () => encodeInstantMessage({ id, recipient: 'a\ud800', sender: 'b', body: new Uint8Array() }),
      EncodeError,
      'BAD_VALUE',
    );
  });

  it('rejects names that are not UTF-8', () => {
    const packet = fromHex(`02${toHex(id)}0001ff01610062`);
    expectThrowsCode(() => decodeInstantMessage(packet), DecodeError, 'BAD_UTF8');
  });
});

describe('flags and ids', () => {
  it('tests flag bits', () => {
    expect(hasFlag(5n, MsgFlag.Response)).toBe(true);
    expect(hasFlag(5n, MsgFlag.NotBottle)).toBe(true);
    expect(hasFlag(5n, MsgFlag.Error)).toBe(false);
  });

  it('converts message ids to and from UUID strings', () => {
    const uuid = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';
    const mid = uuidToMessageId(uuid)!;
    expect(toHex(mid)).toBe('6ba7b8109dad41d180b400c04fd430c8');
    expect(messageIdToUuid(mid)).toBe(uuid);
    expect(uuidToMessageId('version')).toBeNull();
    expect(uuidToMessageId(`${uuid}x`)).toBeNull();
  });

  it('makes UUID v4 ids from random bytes', () => {
    const mid = messageIdFromRandom(new Uint8Array(16).fill(0xff));
    expect(messageIdToUuid(mid)).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
  });
});

const arbName = fc
  .string({ unit: 'grapheme', maxLength: 40 })
  .filter((s) => new TextEncoder().encode(s).length <= 256);
const arbMessage = fc.record(
  {
    id: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    flags: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    recipient: arbName,
    sender: arbName,
    body: fc.uint8Array({ maxLength: 300 }),
  },
  { noNullPrototype: true },
);

describe('properties', () => {
  it('decode(encode(m)) = m for any message', () => {
    fc.assert(
      fc.property(arbMessage, (m) => {
        const packet = encodeInstantMessage(m);
        const back = decodeInstantMessage(packet);
        expect(back).toEqual(m);
        expect(encodeInstantMessage(back)).toEqual(packet);
      }),
    );
  });

  it('arbitrary bytes give a packet or a DecodeError, and decoded messages re-encode stably', () => {
    const arbPacket = fc
      .tuple(
        fc.constantFrom(0x00, 0x01, 0x02, 0x02, 0x02, 0x03, 0x12, 0xf2),
        fc.uint8Array({ maxLength: 400 }),
      )
      .map(([h, rest]) => Uint8Array.of(h, ...rest));
    fc.assert(
      fc.property(arbPacket, (bytes) => {
        const p = valueOrTypedError(() => decodePacket(bytes), DecodeError);
        if (p?.type === 'message') {
          const again = encodeInstantMessage(p.message);
          expect(decodeInstantMessage(again)).toEqual(p.message);
        }
      }),
    );
  });
});
