import { BobError, type SpokeFailure } from './errors.js';

/**
 * The 16 relay packet types (spec §1.2). The header carries them as 2 lower-case hex digits.
 */
export const BobPacketType = {
  HelloAsAServer: 0x00,
  HelloAsAClient: 0x01,
  ServerIdentity: 0x02,
  ClientIdentity: 0x03,
  NewServer: 0x04,
  ClientValidator: 0x05,
  YAndServerValidator: 0x06,
  XAndClientIdentity: 0x07,
  Agreement: 0x08,
  Closed: 0x09,
  Accepted: 0x0a,
  Refused: 0x0b,
  RelayFailure: 0x0c,
  SpokeFailure: 0x0d,
  Done: 0x0e,
  Timeout: 0x0f,
} as const;
export type BobPacketTypeCode = (typeof BobPacketType)[keyof typeof BobPacketType];

/** Size of a spoke public (spec §6.1). */
export const PUBLIC_LENGTH = 34;
/** Size of X and Y, Ed25519 point encodings. */
export const POINT_LENGTH = 32;
/** Size of a validator (a BLAKE2b-512 subkey). */
export const VALIDATOR_LENGTH = 64;
/**
 * Default limit on an identity (`"<ip>:<port>"`). PROTOCOL.md says 53 bytes at most; 99 leaves
 * room for IPv6 zone ids and still fits the secure room's 100-byte line with its `\n`.
 */
export const DEFAULT_MAX_IDENTITY_LENGTH = 99;

/** What a peer reports to the relay in `Relay_failure` (`0c`). */
export type RelayFailure =
  | { readonly kind: 'invalid-client'; readonly uid: number }
  | { readonly kind: 'invalid-server'; readonly uid: number }
  | { readonly kind: 'no-handshake-with'; readonly uid: number }
  /** Written `N0000`. The OCaml relay cannot parse it; peerwire parses it and never sends it. */
  | { readonly kind: 'no-agreement' };

/** A decoded relay packet body. Identities are binary strings (one char per byte, latin1). */
export type Packet =
  | { readonly type: 'hello-as-a-server'; readonly public: Uint8Array }
  | { readonly type: 'hello-as-a-client' }
  | { readonly type: 'server-identity'; readonly identity: string }
  | { readonly type: 'client-identity'; readonly identity: string }
  | {
      readonly type: 'new-server';
      readonly uid: number;
      readonly public: Uint8Array;
      readonly identity: string;
    }
  | { readonly type: 'client-validator'; readonly validator: Uint8Array }
  | {
      readonly type: 'y-and-server-validator';
      readonly Y: Uint8Array;
      readonly validator: Uint8Array;
    }
  | { readonly type: 'x-and-client-identity'; readonly X: Uint8Array; readonly identity: string }
  | { readonly type: 'agreement' }
  | { readonly type: 'closed'; readonly uid: number }
  | { readonly type: 'accepted' }
  | { readonly type: 'refused' }
  | { readonly type: 'relay-failure'; readonly failure: RelayFailure }
  | { readonly type: 'spoke-failure'; readonly failure: SpokeFailure }
  | { readonly type: 'done' }
  | { readonly type: 'timeout' };

export type PacketName = Packet['type'];

/**
 * A packet with its UID field: the destination when a peer sends it, the source when a peer
 * receives it; `0` is the relay.
 */
export interface Frame {
  readonly uid: number;
  readonly packet: Packet;
}

const TYPE_CODES: Record<PacketName, BobPacketTypeCode> = {
  'hello-as-a-server': 0x00,
  'hello-as-a-client': 0x01,
  'server-identity': 0x02,
  'client-identity': 0x03,
  'new-server': 0x04,
  'client-validator': 0x05,
  'y-and-server-validator': 0x06,
  'x-and-client-identity': 0x07,
  agreement: 0x08,
  closed: 0x09,
  accepted: 0x0a,
  refused: 0x0b,
  'relay-failure': 0x0c,
  'spoke-failure': 0x0d,
  done: 0x0e,
  timeout: 0x0f,
};

/** The type code of a packet (`packetTypeOf({ type: 'accepted' }) === 0x0a`). */
export function packetTypeOf(packet: Packet): BobPacketTypeCode {
  return TYPE_CODES[packet.type];
}

/** Body layout (bob:lib/handshake.ml `len_of_packet`): fixed size, or NUL after a fixed prefix. */
type Layout = { readonly fixed: number } | { readonly until: number };
const LAYOUTS: readonly Layout[] = [
  { fixed: PUBLIC_LENGTH },
  { fixed: 0 },
  { until: 0 },
  { until: 0 },
  { until: 4 + PUBLIC_LENGTH },
  { fixed: VALIDATOR_LENGTH },
  { fixed: POINT_LENGTH + VALIDATOR_LENGTH },
  { until: POINT_LENGTH },
  { fixed: 0 },
  { fixed: 4 },
  { fixed: 0 },
  { fixed: 0 },
  { fixed: 5 },
  { fixed: 1 },
  { fixed: 0 },
  { fixed: 0 },
];

const HEX = '0123456789abcdef';

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Parses `n` ASCII hex digits (either case, as OCaml's `of_hex`); -1 if any is not hex. */
function parseHex(buf: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = hexValue(buf[at + i]!);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

function writeHex(out: Uint8Array, at: number, value: number, digits: number): void {
  for (let i = digits - 1; i >= 0; i--) {
    out[at + i] = HEX.charCodeAt(value & 0xf);
    value >>>= 4;
  }
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

function checkUid(uid: number, what: string): void {
  if (!Number.isInteger(uid) || uid < 0 || uid > 0xffff) {
    throw new BobError('BAD_PACKET', `${what} must be an integer from 0 to 0xffff, got ${uid}`);
  }
}

function checkBytes(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new BobError('BAD_PACKET', `${what} must be ${length} bytes`);
  }
}

function checkIdentity(identity: string, max: number): void {
  if (identity.length > max) {
    throw new BobError(
      'FIELD_TOO_LONG',
      `identity is ${identity.length} bytes, the limit is ${max}: use a shorter identity`,
    );
  }
  for (let i = 0; i < identity.length; i++) {
    const c = identity.charCodeAt(i);
    if (c === 0 || c > 0xff) {
      throw new BobError(
        'BAD_PACKET',
        'an identity is a latin1 string without NUL characters (one byte per character)',
      );
    }
  }
}

/** Options shared by the encoder and the decoder. */
export interface PacketLimits {
  /** Longest identity accepted or written, in bytes (default {@link DEFAULT_MAX_IDENTITY_LENGTH}). */
  readonly maxIdentityLength?: number;
}

/**
 * Serializes one packet exactly as bob does: `%04x` uid, `%02x` type, then the body. Throws
 * `BobError` for values the wire cannot carry (wrong sizes, NUL in an identity, uid > 0xffff).
 */
export function encodeFrame(uid: number, packet: Packet, limits: PacketLimits = {}): Uint8Array {
  const maxIdentity = limits.maxIdentityLength ?? DEFAULT_MAX_IDENTITY_LENGTH;
  checkUid(uid, 'uid');
  let body: Uint8Array;
  switch (packet.type) {
    case 'hello-as-a-server':
      checkBytes(packet.public, PUBLIC_LENGTH, 'public');
      body = packet.public;
      break;
    case 'server-identity':
    case 'client-identity':
      checkIdentity(packet.identity, maxIdentity);
      body = identityBody(new Uint8Array(0), packet.identity);
      break;
    case 'new-server': {
      checkUid(packet.uid, 'New_server uid');
      checkBytes(packet.public, PUBLIC_LENGTH, 'public');
      checkIdentity(packet.identity, maxIdentity);
      const prefix = new Uint8Array(4 + PUBLIC_LENGTH);
      writeHex(prefix, 0, packet.uid, 4);
      prefix.set(packet.public, 4);
      body = identityBody(prefix, packet.identity);
      break;
    }
    case 'client-validator':
      checkBytes(packet.validator, VALIDATOR_LENGTH, 'validator');
      body = packet.validator;
      break;
    case 'y-and-server-validator':
      checkBytes(packet.Y, POINT_LENGTH, 'Y');
      checkBytes(packet.validator, VALIDATOR_LENGTH, 'validator');
      body = new Uint8Array(POINT_LENGTH + VALIDATOR_LENGTH);
      body.set(packet.Y, 0);
      body.set(packet.validator, POINT_LENGTH);
      break;
    case 'x-and-client-identity':
      checkBytes(packet.X, POINT_LENGTH, 'X');
      checkIdentity(packet.identity, maxIdentity);
      body = identityBody(packet.X, packet.identity);
      break;
    case 'closed':
      checkUid(packet.uid, 'Closed uid');
      body = new Uint8Array(4);
      writeHex(body, 0, packet.uid, 4);
      break;
    case 'relay-failure': {
      body = new Uint8Array(5);
      const f = packet.failure;
      if (f.kind === 'no-agreement') {
        body.set([0x4e, 0x30, 0x30, 0x30, 0x30]); // N0000
      } else {
        checkUid(f.uid, 'Relay_failure uid');
        body[0] = f.kind === 'invalid-client' ? 0x43 : f.kind === 'invalid-server' ? 0x53 : 0x48;
        writeHex(body, 1, f.uid, 4);
      }
      break;
    }
    case 'spoke-failure':
      if (!Number.isInteger(packet.failure) || packet.failure < 0 || packet.failure > 4) {
        throw new BobError(
          'BAD_PACKET',
          `Spoke_failure code must be 0 to 4, got ${packet.failure}`,
        );
      }
      body = Uint8Array.of(packet.failure);
      break;
    default:
      body = new Uint8Array(0);
  }
  const out = new Uint8Array(6 + body.length);
  writeHex(out, 0, uid, 4);
  writeHex(out, 4, TYPE_CODES[packet.type], 2);
  out.set(body, 6);
  return out;
}

function identityBody(prefix: Uint8Array, identity: string): Uint8Array {
  const out = new Uint8Array(prefix.length + identity.length + 1);
  out.set(prefix, 0);
  for (let i = 0; i < identity.length; i++) out[prefix.length + i] = identity.charCodeAt(i);
  return out; // the last byte stays 0: the terminator
}

function decodeBody(type: number, buf: Uint8Array, start: number, end: number): Packet {
  switch (type) {
    case 0x00:
      return { type: 'hello-as-a-server', public: buf.slice(start, end) };
    case 0x01:
      return { type: 'hello-as-a-client' };
    case 0x02:
      return { type: 'server-identity', identity: latin1(buf, start, end) };
    case 0x03:
      return { type: 'client-identity', identity: latin1(buf, start, end) };
    case 0x04: {
      const uid = parseHex(buf, start, 4);
      if (uid < 0)
        throw new BobError('BAD_PACKET', 'New_server: the server uid is not 4 hex digits');
      return {
        type: 'new-server',
        uid,
        public: buf.slice(start + 4, start + 4 + PUBLIC_LENGTH),
        identity: latin1(buf, start + 4 + PUBLIC_LENGTH, end),
      };
    }
    case 0x05:
      return { type: 'client-validator', validator: buf.slice(start, end) };
    case 0x06:
      return {
        type: 'y-and-server-validator',
        Y: buf.slice(start, start + POINT_LENGTH),
        validator: buf.slice(start + POINT_LENGTH, end),
      };
    case 0x07:
      return {
        type: 'x-and-client-identity',
        X: buf.slice(start, start + POINT_LENGTH),
        identity: latin1(buf, start + POINT_LENGTH, end),
      };
    case 0x08:
      return { type: 'agreement' };
    case 0x09: {
      const uid = parseHex(buf, start, 4);
      if (uid < 0) throw new BobError('BAD_PACKET', 'Closed: the uid is not 4 hex digits');
      return { type: 'closed', uid };
    }
    case 0x0a:
      return { type: 'accepted' };
    case 0x0b:
      return { type: 'refused' };
    case 0x0c: {
      const kind = buf[start]!;
      const uid = parseHex(buf, start + 1, 4);
      if (uid < 0) throw new BobError('BAD_PACKET', 'Relay_failure: the uid is not 4 hex digits');
      if (kind === 0x43) return { type: 'relay-failure', failure: { kind: 'invalid-client', uid } };
      if (kind === 0x53) return { type: 'relay-failure', failure: { kind: 'invalid-server', uid } };
      if (kind === 0x48) {
        return { type: 'relay-failure', failure: { kind: 'no-handshake-with', uid } };
      }
      if (kind === 0x4e && uid === 0) {
        return { type: 'relay-failure', failure: { kind: 'no-agreement' } };
      }
      throw new BobError('BAD_PACKET', 'Relay_failure: the kind must be C, S, H or N0000');
    }
    case 0x0d: {
      const code = buf[start]!;
      if (code > 4) throw new BobError('BAD_PACKET', `Spoke_failure: unknown code ${code}`);
      return { type: 'spoke-failure', failure: code as SpokeFailure };
    }
    case 0x0e:
      return { type: 'done' };
    default:
      return { type: 'timeout' };
  }
}

/**
 * Incremental packet parser: push received chunks in any split, get back the complete packets.
 * At most one incomplete packet is held (a few hundred bytes), so memory stays bounded. After a
 * `BobError` the stream cannot be resynchronised (there is no length prefix): every later
 * `push` throws the same error, and the connection should be closed.
 */
export class PacketDecoder {
  readonly #maxIdentity: number;
  #pending: Uint8Array = new Uint8Array(0);
  #failed: BobError | undefined;

  constructor(limits: PacketLimits = {}) {
    this.#maxIdentity = limits.maxIdentityLength ?? DEFAULT_MAX_IDENTITY_LENGTH;
  }

  /** Bytes held for an incomplete packet. */
  get buffered(): number {
    return this.#pending.length;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.#failed) throw this.#failed;
    let buf = chunk;
    if (this.#pending.length > 0) {
      buf = new Uint8Array(this.#pending.length + chunk.length);
      buf.set(this.#pending, 0);
      buf.set(chunk, this.#pending.length);
    }
    const frames: Frame[] = [];
    let pos = 0;
    try {
      for (;;) {
        const n = this.#parseOne(buf, pos, frames);
        if (n === 0) break;
        pos += n;
      }
    } catch (error) {
      this.#failed = error as BobError;
      this.#pending = new Uint8Array(0);
      throw error;
    }
    this.#pending = pos === buf.length ? new Uint8Array(0) : buf.slice(pos);
    return frames;
  }

  /** Parses one packet at `pos`; returns its length, or 0 if it is not complete yet. */
  #parseOne(buf: Uint8Array, pos: number, frames: Frame[]): number {
    const available = buf.length - pos;
    if (available < 6) return 0;
    const uid = parseHex(buf, pos, 4);
    const type = parseHex(buf, pos + 4, 2);
    if (uid < 0 || type < 0) {
      throw new BobError(
        'BAD_HEADER',
        `packet header ${JSON.stringify(latin1(buf, pos, pos + 6))} is not 4 + 2 hex digits`,
      );
    }
    const layout = LAYOUTS[type];
    if (!layout) {
      throw new BobError('UNKNOWN_PACKET', `unknown packet type 0x${type.toString(16)}`);
    }
    const start = pos + 6;
    if ('fixed' in layout) {
      if (available < 6 + layout.fixed) return 0;
      frames.push({ uid, packet: decodeBody(type, buf, start, start + layout.fixed) });
      return 6 + layout.fixed;
    }
    const from = start + layout.until;
    if (from > buf.length) return 0;
    const limit = Math.min(buf.length, from + this.#maxIdentity + 1);
    const nul = buf.subarray(from, limit).indexOf(0);
    if (nul < 0) {
      if (buf.length - from > this.#maxIdentity) {
        throw new BobError(
          'FIELD_TOO_LONG',
          `packet 0x${type.toString(16).padStart(2, '0')}: identity longer than ${this.#maxIdentity} bytes without its NUL terminator`,
        );
      }
      return 0;
    }
    const end = from + nul;
    frames.push({ uid, packet: decodeBody(type, buf, start, end) });
    return end + 1 - pos;
  }
}

/** Decodes a buffer holding exactly one complete packet; throws `BobError` otherwise. */
export function decodeFrame(bytes: Uint8Array, limits: PacketLimits = {}): Frame {
  const decoder = new PacketDecoder(limits);
  const frames = decoder.push(bytes);
  if (frames.length === 0) {
    throw new BobError('TRUNCATED', `incomplete packet (${bytes.length} bytes)`);
  }
  if (frames.length !== 1 || decoder.buffered !== 0) {
    throw new BobError(
      'BAD_PACKET',
      `expected exactly one packet, got ${frames.length} and ${decoder.buffered} more bytes`,
    );
  }
  return frames[0]!;
}
