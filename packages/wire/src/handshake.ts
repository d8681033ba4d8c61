/**
 * Spot handshake packets (type 1): text-key CBOR maps in Go struct order.
 * The request comes from the server, the response from the client; only the direction tells
 * them apart on the wire.
 */

import { concatBytes } from './bytes.js';
import { type CborEncodable, type CborLimits, decodeCbor, encodeCbor } from './cbor.js';
import {
  cborArrayOrNull,
  cborBool,
  cborBytes,
  cborBytesOrNull,
  cborMap,
  cborText,
} from './cbor-shape.js';
import { DecodeError } from './errors.js';
import { PacketType, packetHeader, readPacketType } from './packet.js';

/** Server → client challenge (`rdy` true: handshake complete). */
export interface HandshakeRequest {
  /** `rdy`: true once the handshake is complete; then the client is online. */
  readonly ready: boolean;
  /** `srv`: short name of the server, e.g. `4p84`. */
  readonly serverCode: string;
  /** `cid`: `<srv>.<clientid>`; the connection's address is `c.` + cid. */
  readonly clientId: string;
  /** `rnd`: the random challenge. */
  readonly nonce: Uint8Array;
  /** `grp`: CBOR-encoded Memberships; `null` (no list) and `[]` (empty list) are different bytes. */
  readonly groups: readonly Uint8Array[] | null;
}

/** A request as decoded: `raw` is the exact payload (after the `0x01` byte) that signatures cover. */
export interface DecodedHandshakeRequest extends HandshakeRequest {
  readonly raw: Uint8Array;
}

/** Client → server answer. */
export interface HandshakeResponse {
  /** `id`: the client's signed IDCard blob, or `null`. */
  readonly id: Uint8Array | null;
  /** `key`: PKIX DER of the key that made `sig`. */
  readonly key: Uint8Array;
  /** `sig`: signature over the exact raw request payload. */
  readonly sig: Uint8Array;
}

function packet(payload: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(packetHeader(PacketType.Handshake)), payload);
}

/** The CBOR payload of a request, exactly as Go encodes `HandshakeRequest`. */
export function encodeHandshakeRequestPayload(req: HandshakeRequest): Uint8Array {
  const m = new Map<string, CborEncodable>();
  if (req.ready) m.set('rdy', true); // omitempty
  m.set('srv', req.serverCode);
  m.set('cid', req.clientId);
  m.set('rnd', req.nonce);
  m.set('grp', req.groups === null ? null : [...req.groups]);
  return encodeCbor(m);
}

/** A complete request packet (`0x01` + payload). */
export function encodeHandshakeRequest(req: HandshakeRequest): Uint8Array {
  return packet(encodeHandshakeRequestPayload(req));
}

/** A complete response packet (`0x01` + `{id, key, sig}`). */
export function encodeHandshakeResponse(res: HandshakeResponse): Uint8Array {
  return packet(
    encodeCbor(
      new Map<string, CborEncodable>([
        ['id', res.id],
        ['key', res.key],
        ['sig', res.sig],
      ]),
    ),
  );
}

function payloadOf(pkt: Uint8Array): Uint8Array {
  if (readPacketType(pkt) !== PacketType.Handshake) {
    throw new DecodeError('UNKNOWN_TYPE', 'not a handshake packet');
  }
  return pkt.subarray(1);
}

/**
 * Decodes a request packet as Go does: keys in any order, unknown keys ignored, absent keys left
 * at their zero value; wrong CBOR types are errors. `raw` is a copy of the payload bytes.
 */
export function decodeHandshakeRequest(
  pkt: Uint8Array,
  limits?: CborLimits,
): DecodedHandshakeRequest {
  const raw = payloadOf(pkt).slice();
  const m = cborMap(decodeCbor(raw, limits), 'HandshakeRequest');
  const rdy = m.get('rdy');
  const groups = cborArrayOrNull(m.get('grp'), 'HandshakeRequest.grp');
  return {
    ready: rdy === undefined || rdy === null ? false : cborBool(rdy, 'HandshakeRequest.rdy'),
    serverCode: m.has('srv') ? cborText(m.get('srv'), 'HandshakeRequest.srv') : '',
    clientId: m.has('cid') ? cborText(m.get('cid'), 'HandshakeRequest.cid') : '',
    nonce: cborBytesOrNull(m.get('rnd'), 'HandshakeRequest.rnd') ?? new Uint8Array(0),
    groups:
      groups === null ? null : groups.map((g, i) => cborBytes(g, `HandshakeRequest.grp[${i}]`)),
    raw,
  };
}

/** Decodes a response packet (`key` and `sig` absent decode as empty, as in Go). */
export function decodeHandshakeResponse(pkt: Uint8Array, limits?: CborLimits): HandshakeResponse {
  const m = cborMap(decodeCbor(payloadOf(pkt), limits), 'HandshakeResponse');
  return {
    id: cborBytesOrNull(m.get('id'), 'HandshakeResponse.id'),
    key: cborBytesOrNull(m.get('key'), 'HandshakeResponse.key') ?? new Uint8Array(0),
    sig: cborBytesOrNull(m.get('sig'), 'HandshakeResponse.sig') ?? new Uint8Array(0),
  };
}
