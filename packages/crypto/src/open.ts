/**
 * Opening a Bottle (cryptutil `opener.go`, spot-crypto §5.4): walk the layers from the outside
 * in, verify every signature of each layer over its raw `message` bytes (one bad signature fails
 * the whole open), decrypt AES layers with a keychain, and stop at the clear text.
 */
import { bytesEqual, type CborLimits } from '@peerwire/wire';
import type { BackendOptions } from './backend.js';
import { defaultBackend } from './backends/index.js';
import { Bottle, BottleFormat, bottleFromJson, type KeyHolder } from './bottle.js';
import { CryptoError } from './errors.js';
import { unwrapKey } from './key-wrap.js';
import type { Keychain } from './keychain.js';
import { privateState, publicKeyOf, verifyWith } from './keys.js';

/** Default most layers `openBottle` walks (Spot bodies have 3, signed ID cards 2). */
export const DEFAULT_MAX_LAYERS = 8;

/**
 * Default most signatures `openBottle` verifies in one bottle, all layers together. Each costs a
 * public-key verification, so a hostile bottle listing hundreds of them is refused up front.
 */
export const DEFAULT_MAX_SIGNATURES = 16;

/**
 * Default most recipient entries of one encrypted layer `openBottle` tries with the keychain
 * (each costs an ECDH); entries for keys not in the keychain cost nothing and are not counted.
 */
export const DEFAULT_MAX_DECRYPT_ATTEMPTS = 8;

/** Options of `openBottle`. */
export interface OpenOptions extends BackendOptions {
  /** Most layers to walk before failing with `TOO_MANY_LAYERS` (default `DEFAULT_MAX_LAYERS`). */
  readonly maxLayers?: number;
  /** Most signatures to verify before failing with `TOO_MANY_SIGNATURES` (default `DEFAULT_MAX_SIGNATURES`). */
  readonly maxSignatures?: number;
  /** Most matching recipient entries to try per encrypted layer (default `DEFAULT_MAX_DECRYPT_ATTEMPTS`). */
  readonly maxDecryptAttempts?: number;
  /** CBOR limits for each layer's decode (default: wire's). */
  readonly limits?: CborLimits;
}

/** A verified signer: its PKIX and the index in `layers` of the layer it signed. */
export interface Signer {
  readonly pkix: Uint8Array;
  readonly layer: number;
}

/** What `openBottle` found. */
export interface OpenResult {
  /** The clear text of the innermost layer. */
  payload: Uint8Array;
  /** How many layers were decrypted. */
  decryptions: number;
  /** Every verified signer, outermost layer first, in array order within a layer. */
  signers: Signer[];
  /** The layers walked, outermost first (the last one is format 0 and holds `payload`). */
  layers: Bottle[];
}

/**
 * Opens a Bottle (given as bytes or decoded). Throws `CryptoError` (`BAD_SIGNATURE`,
 * `CANNOT_DECRYPT`, `BAD_FORMAT`, `TOO_MANY_LAYERS`, `TOO_MANY_SIGNATURES`, `BAD_JSON`) or
 * wire's `DecodeError` for a malformed layer. Without a keychain, encrypted layers fail with
 * `CANNOT_DECRYPT`.
 */
export async function openBottle(
  input: Uint8Array | Bottle,
  keychain?: Keychain,
  opts?: OpenOptions,
): Promise<OpenResult> {
  const backend = opts?.backend ?? defaultBackend;
  const maxLayers = opts?.maxLayers ?? DEFAULT_MAX_LAYERS;
  const maxSignatures = opts?.maxSignatures ?? DEFAULT_MAX_SIGNATURES;
  const maxAttempts = opts?.maxDecryptAttempts ?? DEFAULT_MAX_DECRYPT_ATTEMPTS;
  let bottle = input instanceof Bottle ? input : Bottle.decode(input, opts?.limits);
  const layers: Bottle[] = [];
  const signers: Signer[] = [];
  let decryptions = 0;
  for (;;) {
    if (layers.length >= maxLayers) {
      throw new CryptoError(
        'TOO_MANY_LAYERS',
        `bottle nests more than ${maxLayers} layers (raise maxLayers if this is expected)`,
      );
    }
    const layer = layers.length;
    layers.push(bottle);
    if (signers.length + (bottle.signatures?.length ?? 0) > maxSignatures) {
      throw new CryptoError(
        'TOO_MANY_SIGNATURES',
        `bottle carries more than ${maxSignatures} signatures (raise maxSignatures if this is expected)`,
      );
    }
    for (const sig of bottle.signatures ?? []) {
      let ok: boolean;
      try {
        ok = await verifyWith(publicKeyOf(sig.key), bottle.message, sig.data, backend);
      } catch (cause) {
        if (!(cause instanceof CryptoError)) throw cause;
        throw new CryptoError(
          'BAD_SIGNATURE',
          `layer ${layer}: signature by an unusable key (${cause.message})`,
          { cause },
        );
      }
      if (!ok)
        throw new CryptoError('BAD_SIGNATURE', `layer ${layer}: signature verification failed`);
      signers.push({ pkix: sig.key, layer });
    }
    switch (bottle.format) {
      case BottleFormat.ClearText:
        return { payload: bottle.message, decryptions, signers, layers };
      case BottleFormat.CborBottle:
        bottle = Bottle.decode(bottle.message, opts?.limits);
        break;
      case BottleFormat.JsonBottle:
        bottle = bottleFromJson(bottle.message);
        break;
      case BottleFormat.Aes: {
        const plain = await decryptLayer(bottle, keychain, backend, layer, maxAttempts);
        decryptions++;
        bottle = Bottle.decode(plain, opts?.limits);
        break;
      }
      default:
        throw new CryptoError(
          'BAD_FORMAT',
          `layer ${layer}: unknown bottle format ${bottle.format}`,
        );
    }
  }
}

async function decryptLayer(
  bottle: Bottle,
  keychain: Keychain | undefined,
  backend: NonNullable<BackendOptions['backend']>,
  layer: number,
  maxAttempts: number,
): Promise<Uint8Array> {
  const msg = bottle.message;
  let tried = 0;
  if (keychain !== undefined && msg.length >= 12 + 16) {
    for (const r of bottle.recipients ?? []) {
      const key = keychain.get(r.key);
      if (key === undefined) continue;
      if (tried === maxAttempts) break;
      tried++;
      const messageKey = await unwrapKey(r.data, privateState(key), backend);
      if (messageKey === null) continue;
      const plain = await backend.aesGcmDecrypt(messageKey, msg.subarray(0, 12), msg.subarray(12));
      messageKey.fill(0);
      if (plain !== null) return plain;
    }
  }
  throw new CryptoError(
    'CANNOT_DECRYPT',
    tried === 0
      ? `layer ${layer}: no recipient of this encrypted layer is in the keychain`
      : `layer ${layer}: the keychain's matching keys could not decrypt this layer`,
  );
}

/**
 * Whether one of the verified signers is a `sign` key of `card` (non-expired, non-revoked at
 * `now`): Go's `OpenResult.SignedBy(idcard)`.
 */
export function signedBy(result: OpenResult, card: KeyHolder, now?: number): boolean {
  const keys = card.getKeys('sign', now);
  return result.signers.some((s) => keys.some((k) => bytesEqual(k.key, s.pkix)));
}
