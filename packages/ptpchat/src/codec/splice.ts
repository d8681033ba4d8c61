import { PtpchatError } from '../errors.js';
import type { NodeId } from '../node-id.js';
import type { UncheckedEnvelope } from './message.js';

/**
 * A received frame that a node can forward by rewriting its TTL in place (splicing) instead of
 * re-encoding it: its JSON is `{"msg_type":"<VERB>","msg_data":` … followed by the canonical
 * envelope tail `,"ttl":N,"flood":B,"sender_id":"…","target_id":…,"msg_id":"…"}` at the very end,
 * as peerwire (and the reference) emit it. `head` is the byte length before that tail.
 */
export interface SpliceableFrame {
  readonly json: Uint8Array;
  readonly head: number;
}

/** msg_ids a tail may carry: no quote or backslash can then hide in it, and no upper case. */
const SAFE_ID = /^[0-9a-z-]{1,64}$/;

/**
 * The canonical envelope tail (spec §2.1's key order, as `messageJson` writes it). Node ids in
 * their normal form hold only letters, digits, `@` and `-`, so nothing needs escaping.
 */
export function envelopeTail(
  ttl: number,
  flood: boolean,
  sender: NodeId,
  target: NodeId | null,
  msgId: string,
): string {
  const t = target === null ? 'null' : `"${target}"`;
  return `,"ttl":${ttl},"flood":${flood},"sender_id":"${sender}","target_id":${t},"msg_id":"${msgId}"}`;
}

/**
 * Whether `text` (which `JSON.parse` read as `value`, and `parseEnvelope` as `envelope`) is in
 * the spliceable form; returns the frame, else undefined (the message is then re-encoded).
 *
 * Why a match is safe: `text` is valid JSON and its last `}` closes the top-level object; the
 * tail holds no backslash, so if its first `"` were inside a string it would close it and leave
 * `ttl` bare, which is not JSON: the tail's members are the object's last, top-level members,
 * and they are the values parsed (`JSON.parse` keeps the last of duplicate keys). Rewriting
 * the tail's `ttl` changes exactly what the next hop parses as `ttl`, nothing else.
 */
export function spliceable(
  json: Uint8Array,
  text: string,
  value: Record<string, unknown>,
  envelope: UncheckedEnvelope,
): SpliceableFrame | undefined {
  const { sender_id: sender, target_id: target, msg_id: id } = envelope;
  if (
    sender === null ||
    id === null ||
    value.msg_type !== envelope.msg_type ||
    value.sender_id !== sender ||
    (value.target_id ?? null) !== target ||
    value.msg_id !== id ||
    value.ttl !== envelope.ttl ||
    value.flood !== envelope.flood ||
    !SAFE_ID.test(id)
  )
    return undefined;
  const tail = envelopeTail(envelope.ttl, envelope.flood, sender, target, id);
  const prefix = `{"msg_type":"${envelope.msg_type}","msg_data":`;
  if (text.length < prefix.length + tail.length + 2) return undefined;
  if (!text.startsWith(prefix) || !text.endsWith(tail)) return undefined;
  return { json, head: json.length - tail.length };
}

/**
 * `u32be(length) ‖ json` of a spliceable frame with its tail replaced by `tail` (ASCII).
 * Throws `MESSAGE_TOO_LARGE` above `maxFrameLength`.
 */
export function splicedFrame(
  frame: SpliceableFrame,
  tail: string,
  maxFrameLength: number,
): Uint8Array {
  const length = frame.head + tail.length;
  if (length > maxFrameLength) {
    throw new PtpchatError(
      'MESSAGE_TOO_LARGE',
      `message of ${length} bytes exceeds the frame limit of ${maxFrameLength}`,
    );
  }
  const out = new Uint8Array(4 + length);
  out[0] = length >>> 24;
  out[1] = (length >>> 16) & 0xff;
  out[2] = (length >>> 8) & 0xff;
  out[3] = length & 0xff;
  out.set(frame.json.subarray(0, frame.head), 4);
  for (let i = 0, at = 4 + frame.head; i < tail.length; i++, at++) out[at] = tail.charCodeAt(i);
  return out;
}
