import { utf8Decode, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createNodeId,
  decodeMessage,
  encodeFrame,
  encodeMessage,
  fromBase64,
  KEEPALIVE_FRAME,
  normalizeNodeId,
  PtpchatError,
  PtpchatFramer,
  parseMessage,
  parseNodeId,
  toBase64,
} from '../src/index.js';

const A = 'alice@0f8fad5b-d9cb-469f-a165-70867728950e';
const B = 'bob@7c9e6679-7425-40de-944b-e07fc1f90ae7';
const ID = '6fa459ea-ee8a-4ca4-894e-db77e160355e';
const CH = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PtpchatError);
    return (e as PtpchatError).code;
  }
  return 'no error';
};

describe('TCP framing (§1.1)', () => {
  it('frames with a 4-byte big-endian length and reassembles split chunks', () => {
    const json = utf8Encode('{"msg_type":"HELLO"}');
    const frame = encodeFrame(json);
    expect([...frame.subarray(0, 4)]).toEqual([0, 0, 0, json.length]);
    const f = new PtpchatFramer();
    const out: Uint8Array[] = [];
    for (const b of frame) out.push(...f.push(Uint8Array.of(b)));
    expect(out.map((o) => utf8Decode(o))).toEqual(['{"msg_type":"HELLO"}']);
    expect(f.buffered).toBe(0);
  });

  it('accepts and ignores zero-length keepalive frames', () => {
    const f = new PtpchatFramer();
    const json = utf8Encode('{}');
    const chunk = new Uint8Array([...KEEPALIVE_FRAME, ...encodeFrame(json), ...KEEPALIVE_FRAME]);
    expect(f.push(chunk).map((o) => utf8Decode(o))).toEqual(['{}']);
    expect(f.keepalives).toBe(2);
  });

  it('refuses a frame over the limit (default 99999) as soon as the prefix arrives', () => {
    const f = new PtpchatFramer();
    expect(f.maxFrameLength).toBe(99_999);
    expect(f.push(encodeFrame(new Uint8Array(99_999))).length).toBe(1);
    expect(codeOf(() => f.push(Uint8Array.of(0x00, 0x01, 0x86, 0xa0)))).toBe('FRAME_TOO_LARGE'); // 100000
    expect(codeOf(() => new PtpchatFramer(10).push(Uint8Array.of(0, 0, 0, 11)))).toBe(
      'FRAME_TOO_LARGE',
    );
    expect(codeOf(() => encodeFrame(new Uint8Array(100_000)))).toBe('MESSAGE_TOO_LARGE');
  });

  it('survives arbitrary chunks: frames or FRAME_TOO_LARGE, nothing else', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const f = new PtpchatFramer(1000);
        try {
          for (const c of chunks)
            for (const frame of f.push(c)) expect(frame.length).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(PtpchatError);
          expect((e as PtpchatError).code).toBe('FRAME_TOO_LARGE');
        }
      }),
    );
  });
});

describe('envelope (§2)', () => {
  it('emits the strict TCP-era envelope, keys in spec order, target_id null when unused', () => {
    const bytes = encodeMessage({
      msg_type: 'ACK',
      msg_data: { msg_id: ID },
      ttl: 1,
      flood: false,
      sender_id: A,
      target_id: null,
      msg_id: CH,
    });
    expect(utf8Decode(bytes)).toBe(
      `{"msg_type":"ACK","msg_data":{"msg_id":"${ID}"},"ttl":1,"flood":false,"sender_id":"${A}","target_id":null,"msg_id":"${CH}"}`,
    );
    const back = decodeMessage(bytes);
    expect(back).toMatchObject({
      msg_type: 'ACK',
      ttl: 1,
      flood: false,
      sender_id: A,
      target_id: null,
      msg_id: CH,
    });
  });

  it('parses UDP-era messages leniently (§2.2)', () => {
    // The seed's JOIN: no envelope fields, msg_id and node_id inside msg_data, verb in lower case.
    const join = parseMessage({
      msg_type: 'join',
      msg_data: { msg_id: ID.toUpperCase(), node_id: A, channel: 'general', channel_id: CH },
    });
    expect(join).toMatchObject({
      msg_type: 'JOIN',
      msg_id: ID,
      sender_id: A,
      ttl: 1,
      flood: false,
      target_id: null,
    });
    // A seed HELLO has no msg_data at all.
    expect(parseMessage({ msg_type: 'HELLO' })).toMatchObject({
      msg_type: 'HELLO',
      msg_data: null,
      msg_id: null,
    });
    // closed as a string; ROUTING ttl as a numeric string; UDP-era ROUTING with an address.
    const channel = parseMessage({
      msg_type: 'CHANNEL',
      msg_id: ID,
      msg_data: {
        node_id: A,
        channel: 'x',
        channel_id: CH,
        members: [{ node_id: B }],
        closed: 'true',
      },
    });
    expect(channel.msg_type === 'CHANNEL' && channel.msg_data.closed).toBe(true);
    const routing = parseMessage({
      msg_type: 'ROUTING',
      msg_data: {
        nodes: [
          { node_id: A, ttl: '3' },
          { node_id: B, address: '203.0.113.5:40001' },
        ],
      },
    });
    expect(routing.msg_type === 'ROUTING' && routing.msg_data.nodes).toEqual([
      { node_id: A, ttl: 3 },
      { node_id: B, ttl: 1, address: '203.0.113.5:40001' },
    ]);
    // GUIDs compare case-insensitively and come out in lower case; unknown keys are ignored.
    const m = parseMessage({
      msg_type: 'ACK',
      msg_data: { msg_id: ID, extra: 1 },
      sender_id: A.toUpperCase().replace('ALICE', 'alice'),
      junk: [],
    });
    expect(m.sender_id).toBe(A);
  });

  it('rejects with precise codes', () => {
    expect(codeOf(() => decodeMessage(utf8Encode('not json')))).toBe('BAD_JSON');
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x7b, 0xff, 0x7d)))).toBe('BAD_UTF8');
    expect(codeOf(() => decodeMessage(utf8Encode('[1,2]')))).toBe('BAD_JSON');
    expect(codeOf(() => parseMessage({ msg_data: {} }))).toBe('BAD_ENVELOPE');
    expect(codeOf(() => parseMessage({ msg_type: 'RELAY', msg_id: ID }))).toBe('UNKNOWN_VERB');
    expect(codeOf(() => parseMessage({ msg_type: 'MESSAGE', msg_data: {} }))).toBe('BAD_MSG_DATA');
    expect(
      codeOf(() => parseMessage({ msg_type: 'JOIN', msg_data: { channel: 'x', channel_id: CH } })),
    ).toBe('BAD_ENVELOPE');
    expect(
      codeOf(() => parseMessage({ msg_type: 'ACK', msg_data: { msg_id: ID }, ttl: 1.5 })),
    ).toBe('BAD_ENVELOPE');
    expect(
      codeOf(() =>
        parseMessage({ msg_type: 'ACK', msg_data: { msg_id: ID }, sender_id: 'nobody' }),
      ),
    ).toBe('BAD_ENVELOPE');
    expect(codeOf(() => parseMessage({ msg_type: 'ACK', msg_data: 'x' }))).toBe('BAD_MSG_DATA');
    expect(codeOf(() => decodeMessage(new Uint8Array(100_000)))).toBe('FRAME_TOO_LARGE');
  });
});

const data = {
  HELLO: { node_id: A, version: '1', attributes: { node_type: 'server', udp_port: 9001 } },
  ACK: { msg_id: ID },
  NACK: { msg_id: ID, reason: 'no_route' },
  JOIN: { node_id: A, channel: 'general', channel_id: CH },
  LEAVE: { node_id: A, channel: 'general', channel_id: CH },
  GETKEY: { node_id: A, channel: 'general', channel_id: CH },
  CHANNEL: {
    node_id: A,
    channel: 'general',
    channel_id: CH,
    members: [{ node_id: A }],
    closed: false,
  },
  GETCERTIFICATE: { node_id: A },
  CERTIFICATE: { node_id: A, recipient_id: B, certificate: 'AAAA', msg_id: ID },
  KEY: {
    node_id: A,
    recipient_id: B,
    channel: 'c',
    channel_id: CH,
    cipher: 'AES-256-GCM',
    key: 'AAAA',
  },
  MESSAGE: {
    node_id: A,
    recipient: [{ node_id: B }],
    timestamp: '2016-03-12T10:15:30.250Z',
    channel: 'general',
    channel_id: CH,
    message: 'AAAA',
    attachment: [{ attachment: 'AAAA', attachment_type: 'image/png' }],
  },
  CONNECT: {
    stage: 2,
    initiator_id: A,
    responder_id: B,
    dst: '[2001:db8::5]:40001',
    src: '203.0.113.5',
  },
  ROUTING: { nodes: [{ node_id: B, ttl: 1 }] },
} as const;

/** One mutation per verb that its schema must refuse. */
const broken: Record<keyof typeof data, Record<string, unknown>> = {
  HELLO: { node_id: 'no-guid' },
  ACK: { msg_id: 7 },
  NACK: {},
  JOIN: { node_id: A, channel: 'general', channel_id: 'not-a-guid' },
  LEAVE: { node_id: A, channel: '', channel_id: CH },
  GETKEY: { node_id: A, channel: 'a\u0001b', channel_id: CH },
  CHANNEL: { node_id: A, channel: 'x', channel_id: CH, members: 'all' },
  GETCERTIFICATE: { node_id: 42 },
  CERTIFICATE: { node_id: A },
  KEY: { node_id: A, channel: 'c', channel_id: CH, cipher: 'AES-256-GCM' },
  MESSAGE: { ...data.MESSAGE, timestamp: 'yesterday' },
  CONNECT: { ...data.CONNECT, stage: 6 },
  ROUTING: { nodes: [{ node_id: B, ttl: -1 }] },
};

describe('msg_data schemas (§8)', () => {
  for (const verb of Object.keys(data) as (keyof typeof data)[]) {
    it(`${verb}: round-trips the spec form and refuses a malformed one`, () => {
      const msg = {
        msg_type: verb,
        msg_data: data[verb],
        ttl: 32,
        flood: false,
        sender_id: A,
        target_id: B,
        msg_id: ID,
      };
      const back = decodeMessage(encodeMessage(msg));
      expect(back.msg_type).toBe(verb);
      expect(back.msg_data).toEqual(data[verb]);
      expect(codeOf(() => parseMessage({ ...msg, msg_data: broken[verb] }))).toBe('BAD_MSG_DATA');
    });
  }

  it('MESSAGE: a bad MIME type is refused; attachment is optional', () => {
    const m = {
      msg_type: 'MESSAGE',
      msg_id: ID,
      msg_data: { ...data.MESSAGE, attachment: [{ attachment: 'AA', attachment_type: 'png' }] },
    };
    expect(codeOf(() => parseMessage(m))).toBe('BAD_MSG_DATA');
    const { attachment: _, ...bare } = data.MESSAGE;
    expect(parseMessage({ ...m, msg_data: bare }).msg_type).toBe('MESSAGE');
  });
});

describe('base64 (§7.1)', () => {
  it('emits standard padded base64 and reads standard or URL-safe, padded or not', () => {
    const bytes = Uint8Array.of(0xfb, 0xff, 0xfe, 0x01);
    expect(toBase64(bytes)).toBe('+//+AQ==');
    for (const t of ['+//+AQ==', '+//+AQ', '-__-AQ', '-__-AQ=='])
      expect(fromBase64(t)).toEqual(bytes);
    expect(codeOf(() => fromBase64('@@@@'))).toBe('BAD_BASE64');
    expect(codeOf(() => fromBase64('AAAAAAAA', 3))).toBe('BAD_BASE64');
  });

  it('round-trips arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(fromBase64(toBase64(b))).toEqual(b);
      }),
    );
  });
});

describe('decoder properties', () => {
  const check = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(PtpchatError);
    }
  };

  it('arbitrary bytes give a message or a PtpchatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
        check(() => decodeMessage(b));
      }),
    );
  });

  it('arbitrary JSON values give a message or a PtpchatError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        check(() => decodeMessage(utf8Encode(JSON.stringify(v))));
      }),
    );
  });

  it('envelopes with arbitrary msg_data give a message or a PtpchatError; accepted ones re-encode and decode the same', () => {
    const verb = fc.constantFrom(...Object.keys(data), 'relay', 'hello', '');
    const anyData = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(...Object.values(data)),
      fc.record({
        node_id: fc.constantFrom(A, B, 'x@y'),
        channel: fc.string(),
        channel_id: fc.constantFrom(CH, 'z'),
      }),
    );
    fc.assert(
      fc.property(verb, anyData, fc.jsonValue({ maxDepth: 1 }), (msg_type, msg_data, ttl) => {
        let m: ReturnType<typeof parseMessage>;
        try {
          m = parseMessage({ msg_type, msg_data, ttl, msg_id: ID, sender_id: A });
        } catch (e) {
          expect(e).toBeInstanceOf(PtpchatError);
          return;
        }
        const again = decodeMessage(encodeMessage({ ...m, sender_id: A, msg_id: ID }));
        expect(again.msg_data).toEqual(m.msg_data);
      }),
    );
  });
});

describe('node ids and timestamps (§2.3, §14)', () => {
  it('name@GUID with an alphanumeric name of at most 64 characters; GUIDs in lower case', () => {
    expect(parseNodeId(A)).toEqual({ name: 'alice', guid: '0f8fad5b-d9cb-469f-a165-70867728950e' });
    expect(normalizeNodeId('Alice@0F8FAD5B-D9CB-469F-A165-70867728950E')).toBe(
      'Alice@0f8fad5b-d9cb-469f-a165-70867728950e',
    );
    expect(parseNodeId('0f8fad5b-d9cb-469f-a165-70867728950e').name).toBe(''); // UDP era
    for (const bad of [
      'al-ice@0f8fad5b-d9cb-469f-a165-70867728950e',
      `${'a'.repeat(65)}@0f8fad5b-d9cb-469f-a165-70867728950e`,
      'alice@nope',
      '@0f8fad5b-d9cb-469f-a165-70867728950e',
      '',
    ]) {
      expect(codeOf(() => parseNodeId(bad))).toBe('BAD_NODE_ID');
    }
    expect(parseNodeId(`${'a'.repeat(64)}@0f8fad5b-d9cb-469f-a165-70867728950e`).name).toHaveLength(
      64,
    );
    expect(codeOf(() => createNodeId('no spaces', () => new Uint8Array(16)))).toBe('BAD_NODE_ID');
    expect(createNodeId('bob', () => new Uint8Array(16).fill(255))).toBe(
      'bob@ffffffff-ffff-4fff-bfff-ffffffffffff',
    );
  });

  it('MESSAGE timestamps: any ISO 8601 date-time with an offset', () => {
    for (const timestamp of [
      '2016-03-12T10:15:30.250Z',
      '2016-03-12T11:15:30+01:00',
      '2016-03-12T11:15:30.1234567+0100',
    ]) {
      const m = parseMessage({
        msg_type: 'MESSAGE',
        msg_id: ID,
        msg_data: { ...data.MESSAGE, timestamp },
      });
      expect(m.msg_type === 'MESSAGE' && m.msg_data.timestamp).toBe(timestamp);
    }
    for (const timestamp of ['2016-03-12', '2016-03-12T10:15:30', '2016-13-45T10:15:30Z']) {
      expect(
        codeOf(() =>
          parseMessage({
            msg_type: 'MESSAGE',
            msg_id: ID,
            msg_data: { ...data.MESSAGE, timestamp },
          }),
        ),
      ).toBe('BAD_MSG_DATA');
    }
  });
});
