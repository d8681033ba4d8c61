import { toHex, utf8Decode } from './bytes.js';
import { DecodeError, EncodeError } from './errors.js';
import { PacketType, packetHeader, readPacketType } from './packet.js';
import { allocBytes } from './pool.js';
import { readUvarint, uvarintLength, writeUvarint } from './varint.js';

/** Message flags (a u64 bit set; spotproto `message.go`). */
export const MsgFlag = {
  /** This message answers a query; never answer it. */
  Response: 1n,
  /** The body is an error string (inside the bottle when the exchange is encrypted). */
  Error: 2n,
  /** The body is not a Bottle; use it raw. */
  NotBottle: 4n,
} as const;

/** Whether `flags` has every bit of `flag` set. */
export function hasFlag(flags: bigint, flag: bigint): boolean {
  return (flags & flag) === flag;
}

/** Length of a message id. */
export const MESSAGE_ID_LENGTH = 16;

/** Longest recipient or sender name the protocol allows, in UTF-8 bytes. */
export const MAX_NAME_LENGTH = 256;

/** Largest body peerwire accepts or emits by default (spotproto `protocol.md`). */
export const DEFAULT_MAX_BODY_LENGTH = 65535;

export interface InstantMessageLimits {
  /** Longest recipient or sender, in UTF-8 bytes (default 256, the protocol's limit). */
  readonly maxNameLength?: number;
  /** Largest body in bytes (default 65535). */
  readonly maxBodyLength?: number;
}

/** A Spot instant message (packet type 2). */
export interface InstantMessage {
  /** 16 bytes; a UUID v4 for queries, the query's id for responses. */
  readonly id: Uint8Array;
  /** Bit set of `MsgFlag` values (u64). */
  readonly flags: bigint;
  /** `<target>/<endpoint>` address. */
  readonly recipient: string;
  /** `<target>/<endpoint>`; a client writes only `/<endpoint>` and the relay fills in the target. */
  readonly sender: string;
  /** Everything after the names. A view into the packet when decoded. */
  readonly body: Uint8Array;
}

/** What `encodeInstantMessage` takes: flags may be a number for convenience. */
export interface InstantMessageInit extends Omit<InstantMessage, 'flags'> {
  readonly flags?: bigint | number;
}

const encoder = new TextEncoder();

/** Reusable scratch space for the UTF-8 form of the two names (encodeInto beats a JS loop). */
let recipientScratch: Uint8Array = new Uint8Array(MAX_NAME_LENGTH + 4);
let senderScratch: Uint8Array = new Uint8Array(MAX_NAME_LENGTH + 4);

/** Scratch big enough for `text` under the limit `max` (a name never needs more than 3 bytes per UTF-16 unit). */
function scratchFor(current: Uint8Array, text: string, max: number): Uint8Array {
  const need = Math.min(max, text.length * 3) + 4;
  return current.length >= need ? current : new Uint8Array(need);
}

/**
 * Writes the UTF-8 form of a name into `scratch` and returns its byte length. Refuses lone
 * surrogates (they have no UTF-8 form; TextEncoder would silently write U+FFFD) and names over
 * `max` bytes.
 */
function encodeName(text: string, scratch: Uint8Array, what: string, max: number): number {
  const { read, written } = encoder.encodeInto(text, scratch);
  if (read !== text.length || written > max) {
    throw new EncodeError('NAME_TOO_LONG', `${what} is longer than the limit of ${max} bytes`);
  }
  if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    throw new EncodeError('BAD_VALUE', `${what} contains a lone UTF-16 surrogate`);
  }
  return written;
}

/**
 * Encodes a complete instant-message packet (`0x02` header included). Small packets are views
 * into a shared slab (see `allocBytes`); honour `byteOffset` if you use `.buffer`.
 */
export function encodeInstantMessage(
  msg: InstantMessageInit,
  limits: InstantMessageLimits = {},
): Uint8Array {
  const maxName = limits.maxNameLength ?? MAX_NAME_LENGTH;
  const maxBody = limits.maxBodyLength ?? DEFAULT_MAX_BODY_LENGTH;
  if (msg.id.length !== MESSAGE_ID_LENGTH) {
    throw new EncodeError(
      'BAD_VALUE',
      `message id must be ${MESSAGE_ID_LENGTH} bytes, got ${msg.id.length}`,
    );
  }
  if (msg.body.length > maxBody) {
    throw new EncodeError(
      'BODY_TOO_LARGE',
      `body is ${msg.body.length} bytes, the limit is ${maxBody}`,
    );
  }
  const flags = msg.flags ?? 0;
  recipientScratch = scratchFor(recipientScratch, msg.recipient, maxName);
  senderScratch = scratchFor(senderScratch, msg.sender, maxName);
  const rlen = encodeName(msg.recipient, recipientScratch, 'recipient', maxName);
  const slen = encodeName(msg.sender, senderScratch, 'sender', maxName);
  const out = allocBytes(
    1 +
      MESSAGE_ID_LENGTH +
      uvarintLength(flags) +
      uvarintLength(rlen) +
      rlen +
      uvarintLength(slen) +
      slen +
      msg.body.length,
  );
  out[0] = packetHeader(PacketType.InstantMessage);
  out.set(msg.id, 1);
  let o = writeUvarint(out, 1 + MESSAGE_ID_LENGTH, flags);
  o = writeUvarint(out, o, rlen);
  out.set(
    rlen === recipientScratch.length ? recipientScratch : recipientScratch.subarray(0, rlen),
    o,
  );
  o = writeUvarint(out, o + rlen, slen);
  out.set(slen === senderScratch.length ? senderScratch : senderScratch.subarray(0, slen), o);
  out.set(msg.body, o + slen);
  return out;
}

/** Offset just after the last name `readName` decoded (avoids a tuple per call). */
let afterName = 0;

function readName(packet: Uint8Array, offset: number, what: string, max: number): string {
  let length: number;
  let start: number;
  const first = packet[offset];
  if (first !== undefined && first < 0x80) {
    length = first;
    start = offset + 1;
  } else {
    const v = readUvarint(packet, offset, `${what} length`);
    if (v.value > BigInt(max)) {
      throw new DecodeError(
        'NAME_TOO_LONG',
        `${what} is ${v.value} bytes long, the limit is ${max}`,
      );
    }
    length = Number(v.value);
    start = offset + v.length;
  }
  if (length > max)
    throw new DecodeError('NAME_TOO_LONG', `${what} is ${length} bytes long, the limit is ${max}`);
  const end = start + length;
  if (end > packet.length) {
    throw new DecodeError(
      'TRUNCATED',
      `${what} of ${length} bytes runs past the end of the packet`,
    );
  }
  afterName = end;
  return length === 0 ? '' : utf8Decode(packet, start, end, what);
}

/**
 * Decodes a complete instant-message packet. Accepts what spotproto accepts (including
 * non-minimal varints) and additionally enforces the body limit and strict UTF-8 names.
 * `body` is a view into `packet`; `id` is a copy.
 */
export function decodeInstantMessage(
  packet: Uint8Array,
  limits: InstantMessageLimits = {},
): InstantMessage {
  if (readPacketType(packet) !== PacketType.InstantMessage) {
    throw new DecodeError('UNKNOWN_TYPE', 'not an instant-message packet');
  }
  const maxName = limits.maxNameLength ?? MAX_NAME_LENGTH;
  const maxBody = limits.maxBodyLength ?? DEFAULT_MAX_BODY_LENGTH;
  if (packet.length < 1 + MESSAGE_ID_LENGTH) {
    throw new DecodeError(
      'TRUNCATED',
      `instant message shorter than its ${MESSAGE_ID_LENGTH}-byte id`,
    );
  }
  const id = packet.slice(1, 1 + MESSAGE_ID_LENGTH);
  const f = readUvarint(packet, 1 + MESSAGE_ID_LENGTH, 'flags');
  const recipient = readName(packet, 1 + MESSAGE_ID_LENGTH + f.length, 'recipient', maxName);
  const sender = readName(packet, afterName, 'sender', maxName);
  const bodyStart = afterName;
  const bodyLength = packet.length - bodyStart;
  if (bodyLength > maxBody) {
    throw new DecodeError('BODY_TOO_LARGE', `body is ${bodyLength} bytes, the limit is ${maxBody}`);
  }
  return { id, flags: f.value, recipient, sender, body: packet.subarray(bodyStart) };
}

/** The 36-character lower-case UUID string of a message id (the response endpoint). */
export function messageIdToUuid(id: Uint8Array): string {
  if (id.length !== MESSAGE_ID_LENGTH) {
    throw new EncodeError(
      'BAD_VALUE',
      `message id must be ${MESSAGE_ID_LENGTH} bytes, got ${id.length}`,
    );
  }
  const h = toHex(id);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Parses a dashed UUID string back into a 16-byte message id; `null` when it is not one. */
export function uuidToMessageId(text: string): Uint8Array | null {
  if (!UUID_RE.test(text)) return null;
  const hex = text.replaceAll('-', '');
  const out = new Uint8Array(MESSAGE_ID_LENGTH);
  for (let i = 0; i < MESSAGE_ID_LENGTH; i++)
    out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A UUID v4 message id made from 16 random bytes (the caller supplies the randomness). */
export function messageIdFromRandom(random: Uint8Array): Uint8Array {
  if (random.length !== MESSAGE_ID_LENGTH) {
    throw new EncodeError(
      'BAD_VALUE',
      `need ${MESSAGE_ID_LENGTH} random bytes, got ${random.length}`,
    );
  }
  const id = Uint8Array.from(random);
  id[6] = (id[6]! & 0x0f) | 0x40; // version 4
  id[8] = (id[8]! & 0x3f) | 0x80; // RFC 4122 variant
  return id;
}
