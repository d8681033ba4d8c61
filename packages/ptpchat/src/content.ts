import { gcm } from '@noble/ciphers/aes.js';
import {
  Bottle,
  type CryptoBackend,
  type IDCard,
  type Keychain,
  openBottle,
  openMessageBody,
  type PrivateKey,
  sealMessageBody,
  signedBy,
} from '@peerwire/crypto';
import { concatBytes, utf8Encode } from '@peerwire/wire';
import { fromBase64, toBase64 } from './base64.js';
import { PtpchatError } from './errors.js';

/** The `cipher` of KEY messages (spec §8.10). */
export const CHANNEL_CIPHER = 'AES-256-GCM';
/** Channel keys are 32 random bytes (spec §7.3). */
export const CHANNEL_KEY_LENGTH = 32;
const NONCE = 12;
const TAG = 16;
/** Bytes of the random `nonce` in a content bottle's signed header (see `sealContent`). */
export const CONTENT_NONCE_LENGTH = 16;

interface CryptoOptions {
  readonly backend?: CryptoBackend | undefined;
  /** Unix seconds, for subkey expiry. */
  readonly now?: number;
}

const backendOf = (o: CryptoOptions) => (o.backend ? { backend: o.backend } : {});

/**
 * `nonce(12) ‖ AES-256-GCM(key, nonce, plain, AAD = UTF-8 channel_id) ‖ tag(16)` (spec §7.3).
 */
export function encryptForChannel(
  key: Uint8Array,
  channelId: string,
  plain: Uint8Array,
  random: (length: number) => Uint8Array,
): Uint8Array {
  const nonce = random(NONCE);
  return concatBytes(nonce, gcm(key, nonce, utf8Encode(channelId)).encrypt(plain));
}

/** The inverse of `encryptForChannel`. Throws `DECRYPT_FAILED`. */
export function decryptForChannel(
  key: Uint8Array,
  channelId: string,
  inner: Uint8Array,
): Uint8Array {
  if (inner.length < NONCE + TAG) throw new PtpchatError('DECRYPT_FAILED', 'ciphertext too short');
  try {
    return gcm(key, inner.subarray(0, NONCE), utf8Encode(channelId)).decrypt(inner.subarray(NONCE));
  } catch (cause) {
    throw new PtpchatError('DECRYPT_FAILED', 'channel ciphertext does not authenticate', { cause });
  }
}

/**
 * The base64 of a signed Bottle of `payload` (spec §7.2). peerwire puts a fresh random `nonce`
 * (16 bytes) in the header of the bottle, so the header is inside the signed bytes:
 * `[{}, CBOR([{nonce}, payload, 0, null, null]), 1, null, [[0, pkix, sig]]]`. Without it an
 * Ed25519 signature (deterministic) over the same text would be the same bytes twice, and the
 * replay rule could not tell a legitimate repeat from a replay. With a channel key, the payload
 * is first encrypted for the channel (§7.3).
 */
export async function sealContent(
  payload: Uint8Array,
  signer: PrivateKey,
  opts: CryptoOptions & {
    readonly channel?: { readonly key: Uint8Array; readonly id: string };
    readonly random: (length: number) => Uint8Array;
  },
): Promise<string> {
  const inner = opts.channel
    ? encryptForChannel(opts.channel.key, opts.channel.id, payload, opts.random)
    : payload;
  const bottle = Bottle.fromPayload(inner);
  bottle.header = new Map([['nonce', opts.random(CONTENT_NONCE_LENGTH)]]);
  await bottle.sign(signer, backendOf(opts));
  return toBase64(bottle.encode());
}

/**
 * Opens `sealContent`'s output: the bottle must be signed by a `sign` key of `sender` (the
 * sender's certificate). Returns the payload and the signature bytes (for replay detection).
 * Throws `BAD_BASE64`, `BAD_SIGNATURE`, `DECRYPT_FAILED`.
 */
export async function openContent(
  text: string,
  sender: IDCard,
  opts: CryptoOptions & {
    readonly maxBytes: number;
    readonly channel?: { readonly key: Uint8Array; readonly id: string };
  },
): Promise<{ payload: Uint8Array; signature: string }> {
  // A signed bottle adds ~100-200 bytes; AES-GCM adds 28.
  const bytes = fromBase64(text, opts.maxBytes + 1024);
  let payload: Uint8Array;
  let signature: string;
  try {
    const result = await openBottle(bytes, undefined, { ...backendOf(opts), maxLayers: 2 });
    if (!signedBy(result, sender, opts.now)) {
      throw new PtpchatError(
        'BAD_SIGNATURE',
        "not signed by a sign key of the sender's certificate",
      );
    }
    payload = result.payload;
    const sigs = result.layers[0]?.signatures ?? [];
    signature = sigs.map((s) => toBase64(s.data)).join(',');
  } catch (cause) {
    if (cause instanceof PtpchatError) throw cause;
    throw new PtpchatError('BAD_SIGNATURE', 'content is not a valid signed bottle', { cause });
  }
  if (opts.channel) payload = decryptForChannel(opts.channel.key, opts.channel.id, payload);
  if (payload.length > opts.maxBytes) {
    throw new PtpchatError('LIMIT_EXCEEDED', `content of ${payload.length} bytes is too large`);
  }
  return { payload, signature };
}

/** The KEY bottle (spec §7.3): sign(encrypt(channel key)) to the recipient's card, base64. */
export async function sealChannelKey(
  key: Uint8Array,
  signer: PrivateKey,
  recipient: IDCard,
  opts: CryptoOptions = {},
): Promise<string> {
  try {
    return toBase64(await sealMessageBody(key, { signer, recipient, ...backendOf(opts), ...opts }));
  } catch (cause) {
    throw new PtpchatError('UNKNOWN_CERTIFICATE', "cannot encrypt to the recipient's card", {
      cause,
    });
  }
}

/** Opens a KEY bottle with this node's keychain; signed by `sender`. Throws `DECRYPT_FAILED`. */
export async function openChannelKey(
  text: string,
  keychain: Keychain,
  sender: IDCard,
  opts: CryptoOptions = {},
): Promise<Uint8Array> {
  const bytes = fromBase64(text, 8192);
  let payload: Uint8Array;
  try {
    payload = (await openMessageBody(bytes, keychain, { sender, ...backendOf(opts), ...opts }))
      .payload;
  } catch (cause) {
    throw new PtpchatError('DECRYPT_FAILED', 'KEY bottle does not open for this node', { cause });
  }
  if (payload.length !== CHANNEL_KEY_LENGTH) {
    throw new PtpchatError('DECRYPT_FAILED', `channel key of ${payload.length} bytes, not 32`);
  }
  return payload;
}
