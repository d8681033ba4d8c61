/**
 * Every value the relay writes to LevelDB carries a CRC-32 of its key and bytes, so bytes that
 * change on disk are caught when read back (classic-level does not verify LevelDB's block
 * checksums on reads). Layout: `0x01 ‖ crc32(key ‖ value) (4 bytes, big-endian) ‖ value`.
 */
import { crc32 } from 'node:zlib';

/** The first byte of a checked value (the layout's version). */
export const CHECKED_VALUE_VERSION = 0x01;
const HEADER = 5;

function checksum(key: string, value: Uint8Array): number {
  return crc32(value, crc32(key));
}

/** Wraps `value` (stored under `key`) with its checksum. */
export function sealValue(key: string, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + value.length);
  out[0] = CHECKED_VALUE_VERSION;
  new DataView(out.buffer).setUint32(1, checksum(key, value), false);
  out.set(value, HEADER);
  return out;
}

/** The value inside `sealed`, or undefined when its header or checksum does not match. */
export function openValue(key: string, sealed: Uint8Array): Uint8Array | undefined {
  if (sealed.length < HEADER || sealed[0] !== CHECKED_VALUE_VERSION) return undefined;
  // A plain Uint8Array view (LevelDB hands out Buffers).
  const value = new Uint8Array(sealed.buffer, sealed.byteOffset + HEADER, sealed.length - HEADER);
  const want = new DataView(sealed.buffer, sealed.byteOffset, sealed.length).getUint32(1, false);
  return checksum(key, value) === want ? value : undefined;
}
