/**
 * The Spot instant-message body (spotlib `prepareMessage`, spot-crypto §9).
 *
 * To a `k.` identity, three nested bottles, sign(encrypt(payload)):
 *   outer = [{}, bstr(CBOR(E)), 1, null, [[0, senderPKIX, Sign(sender, CBOR(E))]]]
 *   E     = [{}, nonce ‖ AES-256-GCM(K, CBOR(I)) ‖ tag, 2, [[0, recipientPKIX, WrapKey(K)], …], null]
 *   I     = [{}, payload, 0, null, null]
 * To other targets (`@/`, `c.`, `g.`), a sign-only bottle: [{}, payload, 0, null, [[0, signer, sig]]].
 */
import type { BackendOptions } from './backend.js';
import { Bottle, type KeyHolder, nowSeconds } from './bottle.js';
import { CryptoError } from './errors.js';
import type { Keychain } from './keychain.js';
import type { PrivateKey, PublicKey } from './keys.js';
import { type OpenOptions, type OpenResult, openBottle, signedBy } from './open.js';

/** Options of `sealMessageBody`. */
export interface SealOptions extends BackendOptions {
  /** The sender's signing key. */
  readonly signer: PrivateKey;
  /** The target's ID card (its non-expired `decrypt` subkeys) or explicit public keys. */
  readonly recipient: KeyHolder | readonly PublicKey[];
  /** Unix seconds, for subkey expiry (default now). */
  readonly now?: number;
}

/** The three-layer body for a `k.` target, exactly as spotlib builds it. */
export async function sealMessageBody(payload: Uint8Array, opts: SealOptions): Promise<Uint8Array> {
  const b = Bottle.fromPayload(payload);
  const recipients = Array.isArray(opts.recipient)
    ? (opts.recipient as readonly PublicKey[])
    : [opts.recipient as KeyHolder];
  await b.encrypt(recipients, { now: opts.now, backend: opts.backend });
  b.bottleUp();
  await b.sign(opts.signer, opts);
  return b.encode();
}

/** The sign-only body for `@/`, `c.` and `g.` targets. */
export async function signMessageBody(
  payload: Uint8Array,
  signer: PrivateKey,
  opts?: BackendOptions,
): Promise<Uint8Array> {
  const b = Bottle.fromPayload(payload);
  await b.sign(signer, opts);
  return b.encode();
}

/** Options of `openMessageBody`. */
export interface OpenMessageOptions extends OpenOptions {
  /** The sender's ID card: a signature by one of its `sign` keys is required. */
  readonly sender: KeyHolder;
  /** Require at least one decryption (default true, as spotlib does for bottled bodies). */
  readonly requireEncryption?: boolean;
  /** Unix seconds, for subkey expiry (default now). */
  readonly now?: number;
}

/**
 * Opens a received body as a Go client does: at least one decryption (unless
 * `requireEncryption` is false) and a signature by a `sign` key of the sender's card, else
 * `CANNOT_DECRYPT` / `BAD_SIGNATURE`.
 */
export async function openMessageBody(
  body: Uint8Array,
  keychain: Keychain,
  opts: OpenMessageOptions,
): Promise<OpenResult> {
  const result = await openBottle(body, keychain, opts);
  if ((opts.requireEncryption ?? true) && result.decryptions === 0) {
    throw new CryptoError('CANNOT_DECRYPT', 'message body was not encrypted to us');
  }
  if (!signedBy(result, opts.sender, opts.now ?? nowSeconds())) {
    throw new CryptoError(
      'BAD_SIGNATURE',
      "message body is not signed by a sign key of the sender's ID card",
    );
  }
  return result;
}
