import { sha256 } from '@noble/hashes/sha2.js';
import type { SessionKeys } from './kx.js';

/** Secure-layer feature flags carried in the secure HELLO (spec §11). */
export const SecureFlag = {
  /** The sender understands flags (always set by current clients). */
  SUPPORTS_FLAGS: 0x1n,
  /** zstd compression (2021 only). peerwire never sets it, so no peer compresses to it. */
  COMPRESSION: 0x2n,
} as const;

/** The flags peerwire advertises: `SUPPORTS_FLAGS` only. */
export const DEFAULT_SECURE_FLAGS = SecureFlag.SUPPORTS_FLAGS;

function u64le(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
  return out;
}

/** `SHA-256(key ‖ u64le(first) ‖ u64le(second))` (upstream `mixFlags`). */
export function mixFlags(key: Uint8Array, first: bigint, second: bigint): Uint8Array {
  const input = new Uint8Array(key.length + 16);
  input.set(key, 0);
  input.set(u64le(first), key.length);
  input.set(u64le(second), key.length + 8);
  return sha256(input);
}

/**
 * The flags rehash. §16 left open which flags trigger it; upstream (2021 and HEAD) rehashes when
 * the **peer's** flags are non-zero, whatever our own: `rx = SHA-256(rx ‖ peerFlags ‖ myFlags)`,
 * `tx = SHA-256(tx ‖ myFlags ‖ peerFlags)`. peerwire does exactly that.
 */
export function applyFlags(keys: SessionKeys, peerFlags: bigint, myFlags: bigint): SessionKeys {
  if (peerFlags === 0n) return keys;
  return { rx: mixFlags(keys.rx, peerFlags, myFlags), tx: mixFlags(keys.tx, myFlags, peerFlags) };
}
