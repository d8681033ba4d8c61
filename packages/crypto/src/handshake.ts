/**
 * Handshake helpers (spot-wire §3.2, spot-relay §3.2): a client signs the exact raw bytes of the
 * relay's HandshakeRequest payload; a relay checks the response in order:
 *
 *   2. `key` is the PKIX of an accepted type (ECDSA P-256/P-384, Ed25519, RSA)
 *   3. `sig` verifies over the raw request bytes the relay sent
 *   4. `id` is present and is a signed ID card (all signatures valid, one by `Self`)
 *   5. `key` is `Self` or a non-expired, non-revoked `sign` subkey of that card
 *   6. the identity hash is SHA-256(`Self`)
 *
 * (Step 1, "a request is outstanding", is the relay's state machine.)
 */
import { bytesEqual, type HandshakeResponse } from '@peerwire/wire';
import type { BackendOptions } from './backend.js';
import { defaultBackend } from './backends/index.js';
import { nowSeconds } from './bottle.js';
import { CryptoError } from './errors.js';
import { IDCard, type ParseSignedOptions } from './idcard.js';
import { type KeyType, type PrivateKey, privateState, publicKeyOf, verifyWith } from './keys.js';

/** Key types a relay accepts for handshake signatures (spot-relay §12). */
export const HANDSHAKE_KEY_TYPES: readonly KeyType[] = ['P-256', 'P-384', 'Ed25519', 'RSA'];

/**
 * Answers a HandshakeRequest: `sig` = Sign(key, request.raw) (ECDSA DER over SHA-256, Ed25519
 * pure), `key` = the key's PKIX, `id` = the signed ID card blob (or null).
 */
export async function signHandshake(
  request: { readonly raw: Uint8Array },
  key: PrivateKey,
  idBlob: Uint8Array | null,
  opts?: BackendOptions,
): Promise<HandshakeResponse> {
  const state = privateState(key);
  if (state.type === 'X25519') {
    throw new CryptoError(
      'UNSUPPORTED_KEY',
      'an X25519 key cannot sign a handshake; use ECDSA P-256 or Ed25519',
    );
  }
  const sig = await (opts?.backend ?? defaultBackend).sign(state, request.raw);
  return { id: idBlob, key: state.publicKey.pkix, sig };
}

/** Options of `verifyHandshake`. */
export interface VerifyHandshakeOptions extends ParseSignedOptions {
  /** Unix seconds, for subkey expiry (default now). */
  readonly now?: number;
  /** Key types to accept (default `HANDSHAKE_KEY_TYPES`). */
  readonly keyTypes?: readonly KeyType[];
}

/**
 * Checks only steps 2–3: `response.sig` is a valid signature by `response.key` over
 * `rawRequest`. Throws `UNSUPPORTED_KEY`/`BAD_KEY` for an unacceptable key and `BAD_SIGNATURE`.
 */
export async function verifyHandshakeSignature(
  rawRequest: Uint8Array,
  response: Pick<HandshakeResponse, 'key' | 'sig'>,
  opts?: Pick<VerifyHandshakeOptions, 'backend' | 'keyTypes'>,
): Promise<void> {
  const key = publicKeyOf(response.key);
  if (!(opts?.keyTypes ?? HANDSHAKE_KEY_TYPES).includes(key.type)) {
    throw new CryptoError('UNSUPPORTED_KEY', `handshake key of type ${key.type} is not accepted`);
  }
  if (!(await verifyWith(key, rawRequest, response.sig, opts?.backend ?? defaultBackend))) {
    throw new CryptoError(
      'BAD_SIGNATURE',
      'handshake signature does not verify over the request bytes sent',
    );
  }
}

/**
 * Runs steps 2–6 on a HandshakeResponse. Returns the client's ID card and identity hash; throws
 * `CryptoError` with `UNSUPPORTED_KEY`/`BAD_KEY` (step 2), `BAD_SIGNATURE` (step 3 or a card
 * signature), `MISSING_IDCARD` / `NOT_SIGNED_BY_SELF` (step 4), `HANDSHAKE_KEY_NOT_IN_CARD`
 * (step 5), or wire's `DecodeError` for a malformed card.
 */
export async function verifyHandshake(
  rawRequest: Uint8Array,
  response: HandshakeResponse,
  opts?: VerifyHandshakeOptions,
): Promise<{ card: IDCard; hash: string }> {
  await verifyHandshakeSignature(rawRequest, response, opts);
  if (response.id === null || response.id.length === 0) {
    throw new CryptoError(
      'MISSING_IDCARD',
      'handshake response carries no signed ID card (id is null)',
    );
  }
  const card = await IDCard.parseSigned(response.id, opts);
  if (
    !bytesEqual(response.key, card.self) &&
    !card.testKeyPurpose(response.key, 'sign', opts?.now ?? nowSeconds())
  ) {
    throw new CryptoError(
      'HANDSHAKE_KEY_NOT_IN_CARD',
      'handshake key is neither the ID card Self nor a valid sign subkey of it',
    );
  }
  return { card, hash: card.hash };
}
