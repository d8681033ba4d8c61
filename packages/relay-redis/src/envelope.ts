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

/** Byte length of `text` when it is all ASCII (one byte per character), else -1. */
function asciiLength(text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return -1;
  return text.length;
}

/** Writes an ASCII `text` at `at` (`asciiLength` said it is ASCII). */
function writeAscii(out: Uint8Array, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
}

/**
 * `version u8 ‖ sentAt f64 BE ‖ origin length u8 ‖ origin ‖ target length u16 BE ‖ target ‖
 * packet`: binary so that a packet is not re-encoded on its way. Server codes, client ids and
 * hashes are ASCII in practice: written straight into the envelope (TextEncoder on two short
 * strings cost more than the rest of the envelope; a profile showed it), UTF-8 otherwise.
 */
export function encodeEnvelope(e: Envelope): Uint8Array {
  const targetText = formatTarget(e.target);
  const originAscii = asciiLength(e.origin);
  const targetAscii = asciiLength(targetText);
  const origin = originAscii < 0 ? utf8Encode(e.origin) : undefined;
  const target = targetAscii < 0 ? utf8Encode(targetText) : undefined;
  const originLength = origin?.length ?? originAscii;
  const targetLength = target?.length ?? targetAscii;
  if (originLength > 255) throw new RelayRedisError('BAD_ENVELOPE', 'origin too long');
  if (targetLength > 0xffff) throw new RelayRedisError('BAD_ENVELOPE', 'target too long');
  const out = new Uint8Array(HEADER + originLength + targetLength + e.packet.length);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  view.setFloat64(1, e.sentAt);
  out[9] = originLength;
  if (origin) out.set(origin, 10);
  else writeAscii(out, 10, e.origin);
  let at = 10 + originLength;
  view.setUint16(at, targetLength);
  at += 2;
  if (target) out.set(target, at);
  else writeAscii(out, at, targetText);
  out.set(e.packet, at + targetLength);
  return out;
}

/** The text of ASCII bytes (short runs only), or undefined when a byte is not ASCII. */
function readAscii(bytes: Uint8Array, from: number, to: number): string | undefined {
  if (to - from > 256) return undefined;
  let text = '';
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    if (b >= 0x80) return undefined;
    text += String.fromCharCode(b);
  }
  return text;
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
    origin = readAscii(bytes, 10, at) ?? utf8Decode(bytes.subarray(10, at));
  } catch (error) {
    bad(`origin is not UTF-8 (${(error as Error).message})`);
  }
  const targetLength = view.getUint16(at);
  at += 2;
  if (at + targetLength > bytes.length) bad('truncated target');
  try {
    targetText =
      readAscii(bytes, at, at + targetLength) ?? utf8Decode(bytes.subarray(at, at + targetLength));
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
