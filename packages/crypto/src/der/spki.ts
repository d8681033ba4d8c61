/**
 * SubjectPublicKeyInfo (PKIX) and PKCS#1 `RSAPublicKey`. Parsing is strict and encoding
 * reproduces Go's `x509.MarshalPKIXPublicKey` byte for byte, because keys are compared by these
 * bytes.
 */
import { bytesEqual, concatBytes } from '@peerwire/wire';
import {
  curveFromOid,
  curveSize,
  type KeyType,
  OID_EC_PUBLIC_KEY,
  OID_ED25519,
  OID_P384,
  OID_RSA,
  OID_X25519,
  oidText,
  unsupported,
} from './algorithms.js';
import {
  bad,
  DerError,
  positiveInteger,
  readAll,
  readOnly,
  TAG_BIT_STRING,
  TAG_INTEGER,
  TAG_NULL,
  TAG_OID,
  TAG_SEQUENCE,
  type Tlv,
  tlv,
} from './tlv.js';

/** A public key taken apart: its type and its raw form (EC: uncompressed point; 25519: 32 bytes; RSA: PKCS#1 RSAPublicKey DER). */
export interface RawPublicKey {
  readonly type: KeyType;
  readonly raw: Uint8Array;
}

const SPKI_PREFIX_P256 = Uint8Array.of(
  0x30,
  0x59,
  0x30,
  0x13,
  0x06,
  0x07,
  0x2a,
  0x86,
  0x48,
  0xce,
  0x3d,
  0x02,
  0x01,
  0x06,
  0x08,
  0x2a,
  0x86,
  0x48,
  0xce,
  0x3d,
  0x03,
  0x01,
  0x07,
  0x03,
  0x42,
  0x00,
);
const SPKI_PREFIX_ED25519 = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x03,
  0x21,
  0x00,
);
const SPKI_PREFIX_X25519 = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x03,
  0x21,
  0x00,
);

function hasPrefix(buf: Uint8Array, prefix: Uint8Array, total: number): boolean {
  if (buf.length !== total) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[i] !== prefix[i]) return false;
  return true;
}

/**
 * Takes a PKIX public key apart. Strict: the bytes must be exactly what Go's
 * `x509.MarshalPKIXPublicKey` produces for that key (uncompressed EC points, NULL RSA
 * parameters, no trailing bytes), because keys are compared by these bytes.
 */
export function parseSpki(spki: Uint8Array): RawPublicKey {
  // The common shapes first, without a parse.
  if (hasPrefix(spki, SPKI_PREFIX_ED25519, 44)) return { type: 'Ed25519', raw: spki.subarray(12) };
  if (hasPrefix(spki, SPKI_PREFIX_X25519, 44)) return { type: 'X25519', raw: spki.subarray(12) };
  if (hasPrefix(spki, SPKI_PREFIX_P256, 91) && spki[26] === 0x04) {
    return { type: 'P-256', raw: spki.subarray(26) };
  }
  let parts: Tlv[];
  let algo: Tlv[];
  let bits: Uint8Array;
  try {
    parts = readAll(readOnly(spki, TAG_SEQUENCE));
    if (parts.length !== 2 || parts[0]!.tag !== TAG_SEQUENCE || parts[1]!.tag !== TAG_BIT_STRING) {
      throw new DerError('not a SubjectPublicKeyInfo');
    }
    algo = readAll(parts[0]!.content);
    bits = parts[1]!.content;
    if (algo.length < 1 || algo[0]!.tag !== TAG_OID) throw new DerError('no algorithm');
    if (bits.length < 1 || bits[0] !== 0) throw new DerError('bit string with unused bits');
  } catch (cause) {
    if (cause instanceof DerError) {
      throw bad(`not a PKIX (SubjectPublicKeyInfo DER) public key: ${cause.message}`, cause);
    }
    throw cause;
  }
  const oid = algo[0]!.content;
  const key = bits.subarray(1);
  if (bytesEqual(oid, OID_EC_PUBLIC_KEY)) {
    if (algo.length !== 2 || algo[1]!.tag !== TAG_OID) throw bad('EC key without a named curve');
    const type = curveFromOid(algo[1]!.content);
    const size = curveSize(type);
    if (key.length !== 1 + 2 * size || key[0] !== 0x04) {
      throw bad(`${type} public key is not an uncompressed point of ${1 + 2 * size} bytes`);
    }
    return { type, raw: key };
  }
  if (bytesEqual(oid, OID_ED25519) || bytesEqual(oid, OID_X25519)) {
    const type = bytesEqual(oid, OID_ED25519) ? 'Ed25519' : 'X25519';
    if (algo.length !== 1) throw bad(`${type} algorithm identifier must have no parameters`);
    if (key.length !== 32) throw bad(`${type} public key must be 32 bytes, got ${key.length}`);
    return { type, raw: key };
  }
  if (bytesEqual(oid, OID_RSA)) {
    if (algo.length !== 2 || algo[1]!.tag !== TAG_NULL || algo[1]!.content.length !== 0) {
      throw bad('RSA algorithm identifier must have NULL parameters');
    }
    parseRsaPublicKey(key);
    return { type: 'RSA', raw: key };
  }
  throw unsupported(`public key algorithm ${oidText(oid)}`);
}

/** Checks a PKCS#1 RSAPublicKey and returns its modulus size in bits. */
export function parseRsaPublicKey(der: Uint8Array): { bits: number; n: Uint8Array; e: Uint8Array } {
  try {
    const fields = readAll(readOnly(der, TAG_SEQUENCE));
    if (fields.length !== 2 || fields[0]!.tag !== TAG_INTEGER || fields[1]!.tag !== TAG_INTEGER) {
      throw new DerError('not an RSAPublicKey');
    }
    const n = positiveInteger(fields[0]!.content);
    const e = positiveInteger(fields[1]!.content);
    const bits = n.length * 8 - Math.clz32(n[0]!) + 24;
    if (bits < 1024 || bits > 16384) throw new DerError(`RSA modulus of ${bits} bits`);
    if (e.length > 4 || (e.length === 1 && e[0]! < 3) || (e[e.length - 1]! & 1) === 0) {
      throw new DerError('RSA public exponent out of range');
    }
    return { bits, n, e };
  } catch (cause) {
    if (cause instanceof DerError) throw bad(`bad RSA public key: ${cause.message}`, cause);
    throw cause;
  }
}

/** PKIX DER of a raw public key, as Go's `x509.MarshalPKIXPublicKey` writes it. */
export function buildSpki(type: KeyType, raw: Uint8Array): Uint8Array {
  switch (type) {
    case 'Ed25519':
      return concatBytes(SPKI_PREFIX_ED25519, raw);
    case 'X25519':
      return concatBytes(SPKI_PREFIX_X25519, raw);
    case 'P-256':
      return concatBytes(SPKI_PREFIX_P256, raw);
    case 'P-384':
      return tlv(
        TAG_SEQUENCE,
        tlv(TAG_SEQUENCE, tlv(TAG_OID, OID_EC_PUBLIC_KEY), tlv(TAG_OID, OID_P384)),
        tlv(TAG_BIT_STRING, Uint8Array.of(0), raw),
      );
    case 'RSA':
      return tlv(
        TAG_SEQUENCE,
        tlv(TAG_SEQUENCE, tlv(TAG_OID, OID_RSA), Uint8Array.of(TAG_NULL, 0)),
        tlv(TAG_BIT_STRING, Uint8Array.of(0), raw),
      );
  }
}
