import { ByteReader, utf8Decode, utf8Length } from '@peerwire/wire';
import { CONTENT_AUTH_HEADER_LENGTH, HASH_LENGTH } from './content-auth.js';
import { type DmsgOptions, decodeDmsg, encodeDmsgParts } from './dmsg.js';
import { asDattError, DattError } from './errors.js';
import { ADDRESS_LENGTH } from './payment-address.js';

/** Protocol version sent in `init`/`initack`. */
export const DATT_PROTOCOL_VERSION = 1;
/** Length of a ping nonce. */
export const PING_NONCE_LENGTH = 8;
/** Most addresses an `init`/`initack` may carry. */
export const MAX_INIT_ADDRESSES = 16;

/** Service bits of `init`/`initack` (spec §6.1). */
export const Services = {
  /** Answers `getdata`. */
  SERVES_CONTENT: 1n,
  /** Accepts `postdata`. */
  ACCEPTS_POSTS: 2n,
} as const;

/** The `init`/`initack` body. */
export interface InitInfo {
  readonly version: number;
  /** u64 bit set, see `Services`. */
  readonly services: bigint;
  /** URIs where the sender listens (`tcp://host:port`, `ws://host:port/path`); at most 16, each ≤ 255 bytes. */
  readonly addresses: readonly string[];
}

/** Every Datt message, by command name (spec §3, §6). */
export type DattMessage =
  | { readonly type: 'ping'; readonly nonce: Uint8Array }
  | { readonly type: 'pong'; readonly nonce: Uint8Array }
  | { readonly type: 'contentauth'; readonly hash: Uint8Array; readonly contentAuth: Uint8Array }
  | { readonly type: 'auth'; readonly contentAuth: Uint8Array }
  | ({ readonly type: 'init' } & InitInfo)
  | ({ readonly type: 'initack' } & InitInfo)
  | { readonly type: 'postdata'; readonly hash: Uint8Array; readonly contentAuth: Uint8Array }
  | { readonly type: 'getdata'; readonly hash: Uint8Array }
  | {
      readonly type: 'reqpayment';
      readonly ref: Uint8Array;
      readonly amount: bigint;
      readonly address: Uint8Array;
    }
  | { readonly type: 'sendpayment'; readonly ref: Uint8Array; readonly transaction: Uint8Array }
  | { readonly type: 'paymentack'; readonly ref: Uint8Array; readonly txid: Uint8Array };

/** A message command name. */
export type DattCommand = DattMessage['type'];

/** All commands this package knows. */
export const DATT_COMMANDS: readonly DattCommand[] = [
  'ping',
  'pong',
  'contentauth',
  'auth',
  'init',
  'initack',
  'postdata',
  'getdata',
  'reqpayment',
  'sendpayment',
  'paymentack',
];
const KNOWN = new Set<string>(DATT_COMMANDS);

function fixed(v: Uint8Array, n: number, what: string): void {
  if (v.length !== n)
    throw new DattError('BAD_LENGTH', `${what} must be ${n} bytes, got ${v.length}`);
}

function encodeInit(info: InitInfo): Uint8Array {
  if (!Number.isInteger(info.version) || info.version < 0 || info.version > 0xffffffff) {
    throw new DattError('BAD_VALUE', `init version ${info.version} is not a u32`);
  }
  if (info.services < 0n || info.services > 0xffffffffffffffffn) {
    throw new DattError('BAD_VALUE', `init services ${info.services} is not a u64`);
  }
  if (info.addresses.length > MAX_INIT_ADDRESSES) {
    throw new DattError('TOO_LARGE', `init carries at most ${MAX_INIT_ADDRESSES} addresses`);
  }
  let size = 13;
  for (const a of info.addresses) {
    const n = utf8Length(a);
    if (n > 255)
      throw new DattError('TOO_LARGE', `init address ${JSON.stringify(a)} is over 255 bytes`);
    size += 1 + n;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, info.version, false);
  view.setBigUint64(4, info.services, false);
  out[12] = info.addresses.length;
  let p = 13;
  const enc = new TextEncoder();
  for (const a of info.addresses) {
    const { written } = enc.encodeInto(a, out.subarray(p + 1));
    out[p] = written;
    p += 1 + written;
  }
  return out;
}

/** The data bytes of a message (without the DMsg header). */
export function encodeMessageData(msg: DattMessage): Uint8Array {
  const parts = messageParts(msg);
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts[0]!.length + parts[1]!.length);
  out.set(parts[0]!, 0);
  out.set(parts[1]!, parts[0]!.length);
  return out;
}

/** The data of a message as one or two pieces, checked, so that a frame can be written without an intermediate copy. */
function messageParts(msg: DattMessage): readonly Uint8Array[] {
  switch (msg.type) {
    case 'ping':
    case 'pong':
      fixed(msg.nonce, PING_NONCE_LENGTH, `${msg.type} nonce`);
      return [msg.nonce];
    case 'contentauth':
    case 'postdata':
      fixed(msg.hash, HASH_LENGTH, `${msg.type} content hash`);
      if (msg.contentAuth.length < CONTENT_AUTH_HEADER_LENGTH) {
        throw new DattError(
          'TRUNCATED',
          `${msg.type} ContentAuth is shorter than ${CONTENT_AUTH_HEADER_LENGTH} bytes`,
        );
      }
      return [msg.hash, msg.contentAuth];
    case 'auth':
      if (msg.contentAuth.length < CONTENT_AUTH_HEADER_LENGTH) {
        throw new DattError(
          'TRUNCATED',
          `auth ContentAuth is shorter than ${CONTENT_AUTH_HEADER_LENGTH} bytes`,
        );
      }
      return [msg.contentAuth];
    case 'init':
    case 'initack':
      return [encodeInit(msg)];
    case 'getdata':
      fixed(msg.hash, HASH_LENGTH, 'getdata content hash');
      return [msg.hash];
    case 'reqpayment': {
      fixed(msg.ref, HASH_LENGTH, 'reqpayment ref');
      fixed(msg.address, ADDRESS_LENGTH, 'reqpayment address');
      if (msg.amount < 0n || msg.amount > 0xffffffffffffffffn) {
        throw new DattError('BAD_VALUE', `reqpayment amount ${msg.amount} is not a u64`);
      }
      const out = new Uint8Array(61);
      out.set(msg.ref, 0);
      new DataView(out.buffer).setBigUint64(32, msg.amount, false);
      out.set(msg.address, 40);
      return [out];
    }
    case 'sendpayment':
      fixed(msg.ref, HASH_LENGTH, 'sendpayment ref');
      return [msg.ref, msg.transaction];
    case 'paymentack':
      fixed(msg.ref, HASH_LENGTH, 'paymentack ref');
      fixed(msg.txid, HASH_LENGTH, 'paymentack txid');
      return [msg.ref, msg.txid];
  }
}

function exactly(data: Uint8Array, n: number, cmd: string): void {
  if (data.length !== n) {
    throw new DattError(
      data.length < n ? 'TRUNCATED' : 'TRAILING_BYTES',
      `${cmd} data must be ${n} bytes, got ${data.length}`,
    );
  }
}

function atLeast(data: Uint8Array, n: number, cmd: string): void {
  if (data.length < n) {
    throw new DattError('TRUNCATED', `${cmd} data must be at least ${n} bytes, got ${data.length}`);
  }
}

function decodeInit(data: Uint8Array, what: string): InitInfo {
  try {
    const r = new ByteReader(data);
    const version = r.u32be(`${what} version`);
    const services = r.u64be(`${what} services`);
    const count = r.u8(`${what} address count`);
    if (count > MAX_INIT_ADDRESSES) {
      throw new DattError(
        'TOO_LARGE',
        `${what} has ${count} addresses, at most ${MAX_INIT_ADDRESSES} are allowed`,
      );
    }
    const addresses: string[] = [];
    for (let i = 0; i < count; i++) {
      const n = r.u8(`${what} address ${i} length`);
      const at = r.offset;
      r.bytes(n, `${what} address ${i}`);
      addresses.push(utf8Decode(data, at, at + n, `${what} address ${i}`));
    }
    r.end(what);
    return { version, services, addresses };
  } catch (error) {
    return asDattError(error, what);
  }
}

/**
 * Decodes a message's data for its command. Structure only: signatures and payments are checked
 * by the verifiers (`verifyContentAuth`, `verifyPayment`). Unknown commands are
 * `UNKNOWN_COMMAND`; byte arrays are views into `data`.
 */
export function decodeMessageData(cmd: string, data: Uint8Array): DattMessage {
  if (!KNOWN.has(cmd)) {
    throw new DattError('UNKNOWN_COMMAND', `unknown Datt command ${JSON.stringify(cmd)}`);
  }
  const type = cmd as DattCommand;
  switch (type) {
    case 'ping':
    case 'pong':
      exactly(data, PING_NONCE_LENGTH, type);
      return { type, nonce: data };
    case 'contentauth':
    case 'postdata':
      atLeast(data, HASH_LENGTH + CONTENT_AUTH_HEADER_LENGTH, type);
      return { type, hash: data.subarray(0, HASH_LENGTH), contentAuth: data.subarray(HASH_LENGTH) };
    case 'auth':
      atLeast(data, CONTENT_AUTH_HEADER_LENGTH, type);
      return { type, contentAuth: data };
    case 'init':
    case 'initack':
      return { type, ...decodeInit(data, type) };
    case 'getdata':
      exactly(data, HASH_LENGTH, type);
      return { type, hash: data };
    case 'reqpayment':
      exactly(data, 61, type);
      return {
        type,
        ref: data.subarray(0, 32),
        amount: new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(32, false),
        address: data.subarray(40, 61),
      };
    case 'sendpayment':
      atLeast(data, HASH_LENGTH + 1, type);
      return { type, ref: data.subarray(0, 32), transaction: data.subarray(32) };
    case 'paymentack':
      exactly(data, 64, type);
      return { type, ref: data.subarray(0, 32), txid: data.subarray(32) };
  }
}

/** A message as a complete DMsg frame (its data written straight into the frame). */
export function encodeMessage(msg: DattMessage, options?: DmsgOptions): Uint8Array {
  return encodeDmsgParts(msg.type, messageParts(msg), options);
}

/** One complete DMsg frame decoded to a message. */
export function decodeMessage(frame: Uint8Array, options?: DmsgOptions): DattMessage {
  const { cmd, data } = decodeDmsg(frame, options);
  return decodeMessageData(cmd, data);
}
