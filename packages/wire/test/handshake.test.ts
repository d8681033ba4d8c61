import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import { loadVectors } from '../../../tooling/vectors.js';
import {
  DecodeError,
  decodeHandshakeRequest,
  decodeHandshakeResponse,
  decodePacket,
  encodeHandshakeRequest,
  encodeHandshakeRequestPayload,
  encodeHandshakeResponse,
  fromHex,
  toHex,
} from '../src/index.js';

interface HandshakeCase {
  name: string;
  compare?: string;
  packet_hex?: string;
  payload_cbor_hex?: string;
  go_reencoded_payload_cbor_hex?: string;
  response_packet_hex?: string;
  response_payload_cbor_hex?: string;
  decoded?: {
    rdy?: boolean;
    srv?: string;
    cid?: string;
    rnd_hex?: string;
    grp_hex?: string[] | null;
    id?: string | null;
    key_hex?: string;
    sig_hex?: string;
  };
}

const { cases } = loadVectors<{ cases: HandshakeCase[] }>('spot/handshake.json');
const requests = cases.filter((c) => c.name.startsWith('request_'));
const responses = cases.filter((c) => c.response_packet_hex !== undefined);

describe('handshake.json: requests', () => {
  it('has request cases', () => expect(requests.length).toBeGreaterThanOrEqual(6));

  it.each(requests.map((c) => [c.name, c] as const))(
    '%s decodes as Go does and keeps the raw bytes',
    (_n, c) => {
      const packet = fromHex(c.packet_hex!);
      const req = decodeHandshakeRequest(packet);
      const d = c.decoded!;
      expect(req.ready).toBe(d.rdy);
      expect(req.serverCode).toBe(d.srv);
      expect(req.clientId).toBe(d.cid);
      expect(toHex(req.nonce)).toBe(d.rnd_hex);
      expect(req.groups === null ? null : req.groups.map(toHex)).toEqual(d.grp_hex);
      expect(toHex(req.raw)).toBe(c.payload_cbor_hex);
      expect(decodePacket(packet)).toMatchObject({ type: 'handshake' });
    },
  );

  it.each(requests.filter((c) => c.compare === 'bytes').map((c) => [c.name, c] as const))(
    '%s encodes byte for byte',
    (_n, c) => {
      const d = c.decoded!;
      const packet = encodeHandshakeRequest({
        ready: d.rdy!,
        serverCode: d.srv!,
        clientId: d.cid!,
        nonce: fromHex(d.rnd_hex!),
        groups: d.grp_hex === null ? null : d.grp_hex!.map(fromHex),
      });
      expect(toHex(packet)).toBe(c.packet_hex);
    },
  );

  it('re-encodes an unusually ordered request the way Go does (so signatures must use raw bytes)', () => {
    const c = requests.find((x) => x.name === 'request_unusual_key_order')!;
    const req = decodeHandshakeRequest(fromHex(c.packet_hex!));
    expect(toHex(encodeHandshakeRequestPayload(req))).toBe(c.go_reencoded_payload_cbor_hex);
    expect(toHex(req.raw)).not.toBe(c.go_reencoded_payload_cbor_hex);
  });
});

describe('handshake.json: responses', () => {
  it('has response cases', () => expect(responses.length).toBeGreaterThanOrEqual(7));

  it.each(responses.map((c) => [c.name, c] as const))(
    '%s decodes and re-encodes byte for byte',
    (_n, c) => {
      const packet = fromHex(c.response_packet_hex!);
      const res = decodeHandshakeResponse(packet);
      expect(toHex(packet.subarray(1))).toBe(c.response_payload_cbor_hex);
      if (c.decoded) {
        if (c.decoded.id !== undefined)
          expect(res.id === null ? null : toHex(res.id)).toBe(c.decoded.id);
        if (c.decoded.key_hex !== undefined) expect(toHex(res.key)).toBe(c.decoded.key_hex);
        if (c.decoded.sig_hex !== undefined) expect(toHex(res.sig)).toBe(c.decoded.sig_hex);
      }
      expect(toHex(encodeHandshakeResponse(res))).toBe(c.response_packet_hex);
    },
  );
});

describe('strictness', () => {
  it('rejects wrong CBOR types, trailing bytes and non-maps', () => {
    // {"srv": h'00'}: bytes where Go expects a string
    expectThrowsCode(
      () => decodeHandshakeRequest(fromHex('01a16373727641' + '00')),
      DecodeError,
      'BAD_SHAPE',
    );
    // {"rnd": "x"}: text where Go expects bytes
    expectThrowsCode(
      () => decodeHandshakeRequest(fromHex('01a163726e646178')),
      DecodeError,
      'BAD_SHAPE',
    );
    expectThrowsCode(
      () => decodeHandshakeRequest(fromHex('01a000')),
      DecodeError,
      'TRAILING_BYTES',
    );
    expectThrowsCode(() => decodeHandshakeResponse(fromHex('0180')), DecodeError, 'BAD_SHAPE');
    expectThrowsCode(() => decodeHandshakeResponse(fromHex('02a0')), DecodeError, 'UNKNOWN_TYPE');
  });

  it('leaves absent fields at their zero value, as Go does', () => {
    const req = decodeHandshakeRequest(fromHex('01a0'));
    expect(req).toMatchObject({ ready: false, serverCode: '', clientId: '', groups: null });
    expect(req.nonce.length).toBe(0);
    const res = decodeHandshakeResponse(fromHex('01a0'));
    expect(res.id).toBeNull();
    expect(res.key.length).toBe(0);
  });
});

describe('properties', () => {
  const arbRequest = fc.record(
    {
      ready: fc.boolean(),
      serverCode: fc.string({ maxLength: 8 }),
      clientId: fc.string({ maxLength: 40 }),
      nonce: fc.uint8Array({ maxLength: 64 }),
      groups: fc.option(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 4 }), {
        nil: null,
      }),
    },
    { noNullPrototype: true },
  );

  it('request round trip', () => {
    fc.assert(
      fc.property(arbRequest, (req) => {
        const packet = encodeHandshakeRequest(req);
        const back = decodeHandshakeRequest(packet);
        expect(back).toEqual({ ...req, raw: packet.subarray(1) });
      }),
    );
  });

  it('response round trip', () => {
    const arbResponse = fc.record(
      {
        id: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
        key: fc.uint8Array({ maxLength: 100 }),
        sig: fc.uint8Array({ maxLength: 80 }),
      },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(arbResponse, (res) => {
        expect(decodeHandshakeResponse(encodeHandshakeResponse(res))).toEqual(res);
      }),
    );
  });

  it('arbitrary bytes give a value or a DecodeError', () => {
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.of(0x01, ...b)),
      fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.of(0x01, 0xa3, ...b)),
      arbRequest.map((r) => {
        const p = encodeHandshakeRequest(r);
        return p.subarray(0, p.length - 1);
      }),
    );
    fc.assert(
      fc.property(arb, (bytes) => {
        valueOrTypedError(() => decodeHandshakeRequest(bytes), DecodeError);
        valueOrTypedError(() => decodeHandshakeResponse(bytes), DecodeError);
      }),
    );
  });
});
