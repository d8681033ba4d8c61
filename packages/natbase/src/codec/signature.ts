import { ed25519 } from '@noble/curves/ed25519.js';
import { utf8Encode } from '@peerwire/wire';
import { NatbaseError } from '../errors.js';

/** The signature contexts of spec §4: Ed25519 over `context ‖ "\n" ‖ data`. */
export const SignatureContext = {
  /** Peer → base messages (§5). */
  PEER_TO_BASE: 'ng-p2b-msg',
  /** Peer ↔ peer HELLO and HELLO_REPLY (§9). */
  PEER_TO_PEER: 'ng-p2p-msg',
  /** Secure-layer HELLO (§11). */
  KX_PUBKEY: 'ng-kx-pubkey',
} as const;
export type SignatureContext = (typeof SignatureContext)[keyof typeof SignatureContext];

export const SIGNATURE_LENGTH = 64;

const prefixes = new Map<string, Uint8Array>(
  Object.values(SignatureContext).map((c) => [c, utf8Encode(`${c}\n`)]),
);

function signedBytes(context: SignatureContext, data: Uint8Array): Uint8Array {
  const prefix = prefixes.get(context)!;
  const out = new Uint8Array(prefix.length + data.length);
  out.set(prefix, 0);
  out.set(data, prefix.length);
  return out;
}

/** Ed25519 detached signature (64 bytes) of `context ‖ "\n" ‖ data` with a 32-byte secret key. */
export function signWithContext(
  context: SignatureContext,
  data: Uint8Array,
  secretKey: Uint8Array,
): Uint8Array {
  if (secretKey.length !== 32)
    throw new NatbaseError('BAD_KEY', `an Ed25519 secret key is 32 bytes, not ${secretKey.length}`);
  return ed25519.sign(signedBytes(context, data), secretKey);
}

/**
 * An Ed25519 verifier: whether `signature` is valid for `message` under `publicKey` (32 bytes).
 * Must not throw. The default is `@noble/curves` (portable); `@peerwire/natbase/node` has an
 * OpenSSL one (`opensslEd25519Verify`, several times faster) for a busy base server.
 */
export type Ed25519Verify = (
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
) => boolean;

/** Strict RFC 8032 verification by `@noble/curves` (canonical encodings only). */
export const nobleEd25519Verify: Ed25519Verify = (signature, message, publicKey) => {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
};

/**
 * Whether `signature` is a valid Ed25519 signature of `context ‖ "\n" ‖ data` by `publicKey`.
 * Never throws.
 */
export function verifyWithContext(
  context: SignatureContext,
  data: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
  verify: Ed25519Verify = nobleEd25519Verify,
): boolean {
  if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== 32) return false;
  return verify(signature, signedBytes(context, data), publicKey);
}
