import { formatTarget, parseTarget, type Target } from '@peerwire/address';
import { utf8Decode, utf8Encode } from '@peerwire/wire';
import { RelayRedisError } from './errors.js';

/** Format version of the bus envelope (first byte). */
const VERSION = 1;
const HEADER = 1 + 8 + 1 + 2;

/** A Spot packet travelling from one relay to another over the relay's channel. */
export interface Envelope {
  /** Server code of the relay that sent it (responses and `no route` replies go back there). */
  readonly origin: string;
  /** Where the receiving relay delivers it (`c.` of the chosen connection, or `k.`). */
  readonly target: Target;
  /** Sender's clock when it was published (ms since the epoch), for the bus latency metric. */
  readonly sentAt: number;
  readonly packet: Uint8Array;
}

/**
 * `version u8 ‖ sentAt f64 BE ‖ origin length u8 ‖ origin ‖ target length u16 BE ‖ target ‖
 * packet`: binary so that a packet is not re-encoded on its way.
 */
export function encodeEnvelope(e: Envelope): Uint8Array {
  const origin = utf8Encode(e.origin);
  const target = utf8Encode(formatTarget(e.target));
  if (origin.length > 255) throw new RelayRedisError('BAD_ENVELOPE', 'origin too long');
  if (target.length > 0xffff) throw new RelayRedisError('BAD_ENVELOPE', 'target too long');
  const out = new Uint8Array(HEADER + origin.length + target.length + e.packet.length);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  view.setFloat64(1, e.sentAt);
  out[9] = origin.length;
  out.set(origin, 10);
  let at = 10 + origin.length;
  view.setUint16(at, target.length);
  at += 2;
  out.set(target, at);
  out.set(e.packet, at + target.length);
  return out;
}

/** Decodes an envelope; anything malformed throws `RelayRedisError` `BAD_ENVELOPE`. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const bad = (why: string): never => {
    throw new RelayRedisError('BAD_ENVELOPE', `bad bus envelope: ${why}`);
  };
  if (bytes.length < HEADER) bad('too short');
  if (bytes[0] !== VERSION) bad(`unknown version ${bytes[0]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sentAt = view.getFloat64(1);
  if (!Number.isFinite(sentAt)) bad('bad timestamp');
  const originLength = bytes[9]!;
  if (originLength === 0) bad('empty origin');
  let at = 10 + originLength;
  if (at + 2 > bytes.length) bad('truncated origin');
  let origin = '';
  let targetText = '';
  try {
    origin = utf8Decode(bytes.subarray(10, at));
  } catch (error) {
    bad(`origin is not UTF-8 (${(error as Error).message})`);
  }
  const targetLength = view.getUint16(at);
  at += 2;
  if (at + targetLength > bytes.length) bad('truncated target');
  try {
    targetText = utf8Decode(bytes.subarray(at, at + targetLength));
  } catch (error) {
    bad(`target is not UTF-8 (${(error as Error).message})`);
  }
  let target: Target = { type: '' };
  try {
    target = parseTarget(targetText);
  } catch (error) {
    bad(`target does not parse (${(error as Error).message})`);
  }
  if (target.type !== 'k' && target.type !== 'c') bad(`target ${targetText} is not k. or c.`);
  // One text per target: a relay only writes the canonical form (`formatTarget`).
  if (formatTarget(target) !== targetText) bad(`target ${targetText} is not in canonical form`);
  return { origin, target, sentAt, packet: bytes.subarray(at + targetLength) };
}
