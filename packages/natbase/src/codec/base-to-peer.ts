import { ByteReader, ByteWriter } from '@peerwire/wire';
import { NatbaseError } from '../errors.js';
import { ADDRESS_LENGTH, type Endpoint, readEndpoint, writeEndpoint } from './address.js';
import { DEVICE_ID_LENGTH, type DeviceId } from './device-id.js';
import { COOKIE_LENGTH, checkLength } from './signed-header.js';

/** The kind byte of base → peer messages (spec §6). REDIRECT (5) is never decoded. */
export const BaseToPeerKind = {
  HELLO: 0,
  DEVICE_ADDRESSES: 1,
  DATA: 2,
  NAT_OK: 3,
  STATE: 4,
  REDIRECT: 5,
} as const;

/** The most base UDP addresses a STATE carries (the client reads at most 5). */
export const MAX_STATE_ADDRESSES = 5;
/** HELLO is exactly `00 ‖ cookie(16)`. */
export const BASE_HELLO_LENGTH = 1 + COOKIE_LENGTH;

/** HELLO (TCP): the connection's cookie, which every signed message must carry. */
export interface BaseHelloMessage {
  readonly kind: 'HELLO';
  readonly cookie: Uint8Array;
}
/** DEVICE_ADDRESSES: a device's candidate addresses (at least one). */
export interface DeviceAddressesMessage {
  readonly kind: 'DEVICE_ADDRESSES';
  readonly deviceId: DeviceId;
  readonly addresses: readonly Endpoint[];
}
/** B2P DATA (relayed): `02 ‖ source ‖ data`, data at least one byte. */
export interface BaseToPeerDataMessage {
  readonly kind: 'DATA';
  readonly source: DeviceId;
  readonly data: Uint8Array;
}
/**
 * NAT_OK (UDP): `03`. The client looks only at the kind byte; bytes after it are kept in
 * `trailing` (absent when there are none) so that the value re-encodes to what was received.
 */
export interface NatOkMessage {
  readonly kind: 'NAT_OK';
  readonly trailing?: Uint8Array;
}
/** A STATE's transient NAT port range (§6, §16). */
export interface TransientRange {
  readonly lo: number;
  readonly hi: number;
}
/** STATE (TCP): 1–5 base UDP addresses, **the first is the primary**, and an optional range. */
export interface StateMessage {
  readonly kind: 'STATE';
  readonly addresses: readonly Endpoint[];
  readonly transient?: TransientRange;
}

export type BaseToPeerMessage =
  | BaseHelloMessage
  | DeviceAddressesMessage
  | BaseToPeerDataMessage
  | NatOkMessage
  | StateMessage;

function checkU16(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff)
    throw new NatbaseError('BAD_VALUE', `${what} ${n} is not a u16`);
}

/** The exact wire bytes of a base → peer message. Throws `BAD_VALUE` / `BAD_LENGTH`. */
export function encodeBaseToPeer(m: BaseToPeerMessage): Uint8Array {
  switch (m.kind) {
    case 'HELLO':
      checkLength(m.cookie, COOKIE_LENGTH, 'a cookie');
      return new ByteWriter(BASE_HELLO_LENGTH).u8(BaseToPeerKind.HELLO).bytes(m.cookie).finish();
    case 'DEVICE_ADDRESSES': {
      checkLength(m.deviceId, DEVICE_ID_LENGTH, 'a device id');
      if (m.addresses.length === 0)
        throw new NatbaseError('BAD_VALUE', 'DEVICE_ADDRESSES needs at least one address');
      const w = new ByteWriter(17 + ADDRESS_LENGTH * m.addresses.length);
      w.u8(BaseToPeerKind.DEVICE_ADDRESSES).bytes(m.deviceId);
      for (const a of m.addresses) writeEndpoint(w, a);
      return w.finish();
    }
    case 'DATA':
      checkLength(m.source, DEVICE_ID_LENGTH, 'a device id');
      if (m.data.length === 0)
        throw new NatbaseError('BAD_LENGTH', 'DATA carries at least one byte');
      return new ByteWriter(17 + m.data.length)
        .u8(BaseToPeerKind.DATA)
        .bytes(m.source)
        .bytes(m.data)
        .finish();
    case 'NAT_OK': {
      const t = m.trailing ?? new Uint8Array(0);
      return new ByteWriter(1 + t.length).u8(BaseToPeerKind.NAT_OK).bytes(t).finish();
    }
    case 'STATE': {
      const n = m.addresses.length;
      if (n < 1 || n > MAX_STATE_ADDRESSES)
        throw new NatbaseError('BAD_VALUE', `STATE carries 1 to 5 addresses, not ${n}`);
      const w = new ByteWriter(1 + ADDRESS_LENGTH * n + 4);
      w.u8(BaseToPeerKind.STATE);
      for (const a of m.addresses) writeEndpoint(w, a);
      if (m.transient) {
        checkU16(m.transient.lo, 'transient lo');
        checkU16(m.transient.hi, 'transient hi');
        w.u16le(m.transient.lo).u16le(m.transient.hi);
      }
      return w.finish();
    }
  }
}

/**
 * Decodes one base → peer message with strict lengths. Stricter than the reference client in
 * two places (documented in the README): a trailing partial address entry in DEVICE_ADDRESSES,
 * and STATE bytes that are neither whole entries nor entries + a 4-byte range, are `BAD_LENGTH`.
 * REDIRECT (5) is `UNKNOWN_KIND`, as upstream never decodes it.
 */
export function decodeBaseToPeer(bytes: Uint8Array): BaseToPeerMessage {
  if (bytes.length === 0) throw new NatbaseError('EMPTY_MESSAGE', 'no kind byte');
  const r = new ByteReader(bytes, 1);
  const kind = bytes[0]!;
  switch (kind) {
    case BaseToPeerKind.HELLO:
      if (bytes.length !== BASE_HELLO_LENGTH)
        throw new NatbaseError('BAD_LENGTH', `HELLO is 17 bytes, not ${bytes.length}`);
      return { kind: 'HELLO', cookie: r.bytes(COOKIE_LENGTH).slice() };
    case BaseToPeerKind.DEVICE_ADDRESSES: {
      const body = bytes.length - 1 - DEVICE_ID_LENGTH;
      if (body < ADDRESS_LENGTH || body % ADDRESS_LENGTH !== 0)
        throw new NatbaseError(
          'BAD_LENGTH',
          `DEVICE_ADDRESSES is 17 + 18n bytes with n ≥ 1, not ${bytes.length}`,
        );
      const deviceId = r.bytes(DEVICE_ID_LENGTH).slice();
      const addresses: Endpoint[] = [];
      for (let i = 0; i < body / ADDRESS_LENGTH; i++) addresses.push(readEndpoint(r));
      return { kind: 'DEVICE_ADDRESSES', deviceId, addresses };
    }
    case BaseToPeerKind.DATA:
      if (bytes.length <= 1 + DEVICE_ID_LENGTH)
        throw new NatbaseError('BAD_LENGTH', `DATA is more than 17 bytes, not ${bytes.length}`);
      return {
        kind: 'DATA',
        source: r.bytes(DEVICE_ID_LENGTH).slice(),
        data: r.rest().slice(),
      };
    case BaseToPeerKind.NAT_OK:
      return bytes.length === 1 ? { kind: 'NAT_OK' } : { kind: 'NAT_OK', trailing: bytes.slice(1) };
    case BaseToPeerKind.STATE: {
      const body = bytes.length - 1;
      const withRange = body % ADDRESS_LENGTH === 4;
      const n = Math.floor(body / ADDRESS_LENGTH);
      if ((body % ADDRESS_LENGTH !== 0 && !withRange) || n < 1 || n > MAX_STATE_ADDRESSES)
        throw new NatbaseError(
          'BAD_LENGTH',
          `STATE is 1 + 18n (+ 4) bytes with 1 ≤ n ≤ 5, not ${bytes.length}`,
        );
      const addresses: Endpoint[] = [];
      for (let i = 0; i < n; i++) addresses.push(readEndpoint(r));
      if (!withRange) return { kind: 'STATE', addresses };
      const lo = r.u16le('transient lo');
      return { kind: 'STATE', addresses, transient: { lo, hi: r.u16le('transient hi') } };
    }
    default:
      throw new NatbaseError('UNKNOWN_KIND', `unknown base-to-peer kind ${kind}`);
  }
}

/** The range the client would use: only when `lo ≠ 0 && hi ≥ lo` (§6). */
export function usableTransientRange(m: StateMessage): TransientRange | undefined {
  const t = m.transient;
  return t && t.lo !== 0 && t.hi >= t.lo ? t : undefined;
}
