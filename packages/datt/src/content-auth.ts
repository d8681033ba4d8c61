import { ByteReader, utf8Decode, utf8Encode } from '@peerwire/wire';
import { z } from 'zod';
import {
  bsmHash,
  COMPACT_SIGNATURE_LENGTH,
  type CompactBackend,
  signCompact,
  type VerifyOptions,
  verifyCompact,
} from './bsm.js';
import { asDattError, DattError } from './errors.js';
import { sha256 } from './hash.js';
import { PUBLIC_KEY_LENGTH, publicKeyOf } from './keys.js';
import { ADDRESS_LENGTH, addressFromPublicKey } from './payment-address.js';

/** Bytes before the content: pubkey 33 ‖ sig 65 ‖ blockhash 32 ‖ height 4 ‖ parent 32 ‖ date 8 ‖ address 21. */
export const CONTENT_AUTH_HEADER_LENGTH = 195;
/** The signed part starts here (blockhash … content, spec §4.2). */
const SIGNED_OFFSET = PUBLIC_KEY_LENGTH + COMPACT_SIGNATURE_LENGTH; // 98
/** A content hash (SHA-256 of the serialised ContentAuth) and the other 32-byte hashes. */
export const HASH_LENGTH = 32;

/** Signed content (spec §4.1). Every byte array has the fixed length of its field. */
export interface ContentAuth {
  /** Compressed secp256k1 key of the author (33 bytes). */
  readonly pubkey: Uint8Array;
  /** Compact signature (65 bytes) over the Bitcoin Signed Message hash of bytes 98..end. */
  readonly sig: Uint8Array;
  /** A recent Bitcoin block hash (32 bytes). */
  readonly blockhash: Uint8Array;
  /** Its height (u32). */
  readonly blockheight: number;
  /** Content hash of the parent; all zero for top-level content (32 bytes). */
  readonly parenthash: Uint8Array;
  /** Milliseconds since the Unix epoch (u64 on the wire; at most `Number.MAX_SAFE_INTEGER`). */
  readonly date: number;
  /** Payout address: version ‖ HASH160 (21 bytes). */
  readonly address: Uint8Array;
  /** The content: UTF-8 JSON by convention (`encodeContentBody`), runs to the end. */
  readonly content: Uint8Array;
}

/** What an author supplies to sign a ContentAuth; the rest is derived. */
export interface ContentAuthInit {
  readonly content: Uint8Array;
  /** Milliseconds since the Unix epoch (pass your clock's time). */
  readonly date: number;
  /** Default: 32 zero bytes (no block header source; see README "Freshness"). */
  readonly blockhash?: Uint8Array;
  /** Default: 0. */
  readonly blockheight?: number;
  /** Default: 32 zero bytes (top level). */
  readonly parenthash?: Uint8Array;
  /** Default: the P2PKH mainnet address of the signing key. */
  readonly address?: Uint8Array;
}

/** A signed ContentAuth with its bytes and content hash. */
export interface SignedContent {
  readonly contentAuth: ContentAuth;
  readonly bytes: Uint8Array;
  /** SHA-256 of `bytes`: the content's id. */
  readonly hash: Uint8Array;
}

function fixed(value: Uint8Array, length: number, what: string): void {
  if (value.length !== length) {
    throw new DattError(
      'BAD_LENGTH',
      `ContentAuth ${what} must be ${length} bytes, got ${value.length}`,
    );
  }
}

function checkNumbers(blockheight: number, date: number): void {
  if (!Number.isInteger(blockheight) || blockheight < 0 || blockheight > 0xffffffff) {
    throw new DattError('BAD_VALUE', `ContentAuth blockheight ${blockheight} is not a u32`);
  }
  if (!Number.isSafeInteger(date) || date < 0) {
    throw new DattError('BAD_VALUE', `ContentAuth date ${date} is not a non-negative safe integer`);
  }
}

/** Writes blockhash … content (the signed part) into `out` at `offset`. */
function writeSigned(
  out: Uint8Array,
  offset: number,
  f: Omit<ContentAuth, 'pubkey' | 'sig'>,
): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.set(f.blockhash, offset);
  view.setUint32(offset + 32, f.blockheight, false);
  out.set(f.parenthash, offset + 36);
  view.setBigUint64(offset + 68, BigInt(f.date), false);
  out.set(f.address, offset + 76);
  out.set(f.content, offset + 97);
}

/** Serialises a ContentAuth (spec §4.1). Lengths and ranges are checked; signatures are not. */
export function encodeContentAuth(ca: ContentAuth): Uint8Array {
  fixed(ca.pubkey, PUBLIC_KEY_LENGTH, 'pubkey');
  fixed(ca.sig, COMPACT_SIGNATURE_LENGTH, 'sig');
  fixed(ca.blockhash, HASH_LENGTH, 'blockhash');
  fixed(ca.parenthash, HASH_LENGTH, 'parenthash');
  fixed(ca.address, ADDRESS_LENGTH, 'address');
  checkNumbers(ca.blockheight, ca.date);
  const out = new Uint8Array(CONTENT_AUTH_HEADER_LENGTH + ca.content.length);
  out.set(ca.pubkey, 0);
  out.set(ca.sig, PUBLIC_KEY_LENGTH);
  writeSigned(out, SIGNED_OFFSET, ca);
  return out;
}

/**
 * Parses a ContentAuth (at least 195 bytes; the content runs to the end). Only the structure is
 * checked: call `verifyContentAuth` before trusting it. Fields are views into `bytes`.
 */
export function decodeContentAuth(bytes: Uint8Array): ContentAuth {
  if (bytes.length < CONTENT_AUTH_HEADER_LENGTH) {
    throw new DattError(
      'TRUNCATED',
      `ContentAuth of ${bytes.length} bytes is shorter than its ${CONTENT_AUTH_HEADER_LENGTH}-byte header`,
    );
  }
  try {
    const r = new ByteReader(bytes);
    const pubkey = r.bytes(PUBLIC_KEY_LENGTH, 'ContentAuth pubkey');
    const sig = r.bytes(COMPACT_SIGNATURE_LENGTH, 'ContentAuth sig');
    const blockhash = r.bytes(HASH_LENGTH, 'ContentAuth blockhash');
    const blockheight = r.u32be('ContentAuth blockheight');
    const parenthash = r.bytes(HASH_LENGTH, 'ContentAuth parenthash');
    const date64 = r.u64be('ContentAuth date');
    if (date64 > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new DattError('BAD_VALUE', `ContentAuth date ${date64} is beyond year 287396`);
    }
    const address = r.bytes(ADDRESS_LENGTH, 'ContentAuth address');
    const content = r.rest();
    return {
      pubkey,
      sig,
      blockhash,
      blockheight,
      parenthash,
      date: Number(date64),
      address,
      content,
    };
  } catch (error) {
    return asDattError(error, 'ContentAuth');
  }
}

/** SHA-256 of a serialised ContentAuth: the content's id (spec §4.4). */
export function contentHashOf(contentAuthBytes: Uint8Array): Uint8Array {
  return sha256(contentAuthBytes);
}

/** Signs a new ContentAuth with `privateKey` (RFC 6979, low-S; deterministic for the same input). */
export function signContentAuth(
  init: ContentAuthInit,
  privateKey: Uint8Array,
  backend?: CompactBackend,
): SignedContent {
  const pubkey = publicKeyOf(privateKey);
  const fields = {
    blockhash: init.blockhash ?? new Uint8Array(HASH_LENGTH),
    blockheight: init.blockheight ?? 0,
    parenthash: init.parenthash ?? new Uint8Array(HASH_LENGTH),
    date: init.date,
    address: init.address ?? addressFromPublicKey(pubkey),
    content: init.content,
  };
  fixed(fields.blockhash, HASH_LENGTH, 'blockhash');
  fixed(fields.parenthash, HASH_LENGTH, 'parenthash');
  fixed(fields.address, ADDRESS_LENGTH, 'address');
  checkNumbers(fields.blockheight, fields.date);
  const bytes = new Uint8Array(CONTENT_AUTH_HEADER_LENGTH + fields.content.length);
  bytes.set(pubkey, 0);
  writeSigned(bytes, SIGNED_OFFSET, fields);
  const sig = signCompact(bsmHash(bytes.subarray(SIGNED_OFFSET)), privateKey, backend);
  bytes.set(sig, PUBLIC_KEY_LENGTH);
  return { contentAuth: decodeContentAuth(bytes), bytes, hash: contentHashOf(bytes) };
}

/**
 * Verifies serialised ContentAuth bytes (spec §4.3): the embedded key is a compressed point, the
 * signature over the Bitcoin Signed Message hash of bytes 98..end is valid, and the key it
 * recovers equals the embedded key. With `expectedHash`, also checks that the content hash
 * matches. Throws `BAD_KEY`, `BAD_SIGNATURE`, `KEY_MISMATCH` or `HASH_MISMATCH`; returns the
 * parsed ContentAuth.
 */
export function verifyContentAuth(
  bytes: Uint8Array,
  expectedHash?: Uint8Array,
  options?: VerifyOptions,
): ContentAuth {
  const ca = decodeContentAuth(bytes);
  if (expectedHash !== undefined) {
    const actual = contentHashOf(bytes);
    let same = expectedHash.length === HASH_LENGTH;
    for (let i = 0; same && i < HASH_LENGTH; i++) same = actual[i] === expectedHash[i];
    if (!same) {
      throw new DattError('HASH_MISMATCH', 'the content hash is not SHA-256 of the ContentAuth');
    }
  }
  verifyCompact(bsmHash(bytes.subarray(SIGNED_OFFSET)), ca.sig, ca.pubkey, options);
  return ca;
}

/** The conventional JSON content of a ContentAuth (spec §4.1). */
export interface ContentBody {
  readonly name: string;
  readonly label: string;
  readonly title: string;
  readonly type: string;
  readonly body: string;
}

const contentBodySchema = z.object({
  name: z.string(),
  label: z.string(),
  title: z.string(),
  type: z.string(),
  body: z.string(),
});

/** UTF-8 JSON `{name, label, title, type, body}` in that key order; `type` defaults to "markdown". */
export function encodeContentBody(
  body: Omit<ContentBody, 'type'> & { readonly type?: string },
): Uint8Array {
  const { name, label, title, type = 'markdown', body: text } = body;
  return utf8Encode(JSON.stringify({ name, label, title, type, body: text }));
}

/** Parses and validates the JSON content; `BAD_UTF8` or `BAD_VALUE` (with the zod issues as cause). */
export function parseContentBody(content: Uint8Array): ContentBody {
  let json: unknown;
  try {
    json = JSON.parse(utf8Decode(content, 0, content.length, 'ContentAuth content'));
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new DattError('BAD_UTF8', 'ContentAuth content is not JSON', { cause: error });
    }
    return asDattError(error, 'ContentAuth content');
  }
  const parsed = contentBodySchema.safeParse(json);
  if (!parsed.success) {
    throw new DattError(
      'BAD_VALUE',
      `ContentAuth content is not {name, label, title, type, body} strings: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}
