/**
 * Private keys: PKCS#8 and SEC1 `ECPrivateKey` (P-256, P-384, Ed25519, X25519), as Go's `x509`
 * writes them, and secp256k1 PKCS#8 as OpenSSL writes it (kept in keychains for protocols
 * outside Spot; never a Spot key type).
 */
import { bytesEqual } from '@peerwire/wire';
import { CryptoError } from '../errors.js';
import {
  curveFromOid,
  curveOid,
  curveSize,
  type KeyType,
  OID_EC_PUBLIC_KEY,
  OID_ED25519,
  OID_RSA,
  OID_SECP256K1,
  OID_X25519,
  oidText,
  unsupported,
} from './algorithms.js';
import {
  bad,
  DerError,
  readAll,
  readOnly,
  TAG_BIT_STRING,
  TAG_CONTEXT_0,
  TAG_CONTEXT_1,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  type Tlv,
  tlv,
} from './tlv.js';

/** A private key taken apart. EC: the scalar, left-padded to the curve size; 25519: the 32-byte seed / scalar. */
export interface RawPrivateKey {
  readonly type: Exclude<KeyType, 'RSA'>;
  readonly secret: Uint8Array;
}

/** Parses a SEC1 `ECPrivateKey` (`curve` given when it sits inside PKCS#8 without parameters). */
function parseSec1(der: Uint8Array, curve: 'P-256' | 'P-384' | null): RawPrivateKey {
  const fields = readAll(readOnly(der, TAG_SEQUENCE));
  if (fields.length < 2 || fields[0]!.tag !== TAG_INTEGER || fields[1]!.tag !== TAG_OCTET_STRING) {
    throw new DerError('not an ECPrivateKey');
  }
  if (fields[0]!.content.length !== 1 || fields[0]!.content[0] !== 1) {
    throw new DerError('unknown ECPrivateKey version');
  }
  let type = curve;
  for (const f of fields.slice(2)) {
    if (f.tag === TAG_CONTEXT_0) {
      const named = curveFromOid(readOnly(f.content, TAG_OID));
      if (type !== null && named !== type) throw new DerError('curve parameters disagree');
      type = named;
    } else if (f.tag !== TAG_CONTEXT_1) {
      throw new DerError('unexpected field in ECPrivateKey');
    }
  }
  if (type === null) throw new DerError('ECPrivateKey without a named curve');
  const size = curveSize(type);
  const d = fields[1]!.content;
  if (d.length > size) throw new DerError(`private scalar longer than ${size} bytes`);
  const secret = new Uint8Array(size);
  secret.set(d, size - d.length);
  return { type, secret };
}

/**
 * Parses a private key in PKCS#8 or (for EC keys) SEC1 DER, detecting which. RSA private keys
 * are refused (`UNSUPPORTED_KEY`): peerwire only verifies and encrypts with RSA.
 */
export function parsePrivateKeyDer(der: Uint8Array): RawPrivateKey {
  try {
    const fields = readAll(readOnly(der, TAG_SEQUENCE));
    // SEC1: INTEGER 1, OCTET STRING; PKCS#8: INTEGER 0|1, SEQUENCE, OCTET STRING, ...
    if (fields.length >= 2 && fields[1]!.tag === TAG_OCTET_STRING) return parseSec1(der, null);
    if (
      fields.length < 3 ||
      fields[0]!.tag !== TAG_INTEGER ||
      fields[1]!.tag !== TAG_SEQUENCE ||
      fields[2]!.tag !== TAG_OCTET_STRING
    ) {
      throw new DerError('neither PKCS#8 nor SEC1');
    }
    const version = fields[0]!.content;
    if (version.length !== 1 || version[0]! > 1) throw new DerError('unknown PKCS#8 version');
    for (const f of fields.slice(3)) {
      if (f.tag !== TAG_CONTEXT_0 && f.tag !== 0x81 && f.tag !== TAG_CONTEXT_1) {
        throw new DerError('unexpected field in PKCS#8');
      }
    }
    const algo = readAll(fields[1]!.content);
    if (algo.length < 1 || algo[0]!.tag !== TAG_OID) throw new DerError('no algorithm');
    const oid = algo[0]!.content;
    const inner = fields[2]!.content;
    if (bytesEqual(oid, OID_EC_PUBLIC_KEY)) {
      if (algo.length !== 2 || algo[1]!.tag !== TAG_OID) {
        throw new DerError('EC key without a named curve');
      }
      return parseSec1(inner, curveFromOid(algo[1]!.content));
    }
    if (bytesEqual(oid, OID_ED25519) || bytesEqual(oid, OID_X25519)) {
      if (algo.length !== 1) throw new DerError('25519 algorithm identifier has parameters');
      const seed = readOnly(inner, TAG_OCTET_STRING);
      if (seed.length !== 32) throw new DerError(`25519 private key of ${seed.length} bytes`);
      return { type: bytesEqual(oid, OID_ED25519) ? 'Ed25519' : 'X25519', secret: seed.slice() };
    }
    if (bytesEqual(oid, OID_RSA)) {
      throw unsupported('RSA private keys are not supported (RSA is verify and encrypt only)');
    }
    throw unsupported(`private key algorithm ${oidText(oid)}`);
  } catch (cause) {
    if (cause instanceof DerError) {
      throw bad(`not a PKCS#8 or SEC1 private key: ${cause.message}`, cause);
    }
    throw cause;
  }
}

/** PKCS#8 DER as Go's `x509.MarshalPKCS8PrivateKey` writes it. `publicRaw` is needed for EC keys. */
export function buildPkcs8(key: RawPrivateKey, publicRaw: Uint8Array): Uint8Array {
  const version = Uint8Array.of(TAG_INTEGER, 1, 0);
  if (key.type === 'Ed25519' || key.type === 'X25519') {
    const oid = key.type === 'Ed25519' ? OID_ED25519 : OID_X25519;
    return tlv(
      TAG_SEQUENCE,
      version,
      tlv(TAG_SEQUENCE, tlv(TAG_OID, oid)),
      tlv(TAG_OCTET_STRING, tlv(TAG_OCTET_STRING, key.secret)),
    );
  }
  return tlv(
    TAG_SEQUENCE,
    version,
    tlv(TAG_SEQUENCE, tlv(TAG_OID, OID_EC_PUBLIC_KEY), tlv(TAG_OID, curveOid(key.type))),
    tlv(TAG_OCTET_STRING, buildSec1(key, publicRaw, false)),
  );
}

/** SEC1 `ECPrivateKey` DER as Go's `x509.MarshalECPrivateKey` writes it (`withCurve` false inside PKCS#8). */
export function buildSec1(key: RawPrivateKey, publicRaw: Uint8Array, withCurve = true): Uint8Array {
  if (key.type !== 'P-256' && key.type !== 'P-384') {
    throw new CryptoError(
      'UNSUPPORTED_KEY',
      `SEC1 is an EC private key format; a ${key.type} key has none`,
    );
  }
  const parts = [Uint8Array.of(TAG_INTEGER, 1, 1), tlv(TAG_OCTET_STRING, key.secret)];
  if (withCurve) parts.push(tlv(TAG_CONTEXT_0, tlv(TAG_OID, curveOid(key.type))));
  parts.push(tlv(TAG_CONTEXT_1, tlv(TAG_BIT_STRING, Uint8Array.of(0), publicRaw)));
  return tlv(TAG_SEQUENCE, ...parts);
}

// secp256k1 private keys

/** A secp256k1 private key taken apart: the 32-byte scalar and the public key the file carries, if any. */
export interface RawSecp256k1Key {
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array | undefined;
}

/**
 * PKCS#8 of a secp256k1 key, byte for byte as OpenSSL writes it: ecPublicKey with the named curve
 * secp256k1, and inside a SEC1 `ECPrivateKey` without parameters, with the public key
 * (`publicKey`: the 65-byte uncompressed point).
 */
export function buildSecp256k1Pkcs8(secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return tlv(
    TAG_SEQUENCE,
    Uint8Array.of(TAG_INTEGER, 1, 0),
    tlv(TAG_SEQUENCE, tlv(TAG_OID, OID_EC_PUBLIC_KEY), tlv(TAG_OID, OID_SECP256K1)),
    tlv(
      TAG_OCTET_STRING,
      tlv(
        TAG_SEQUENCE,
        Uint8Array.of(TAG_INTEGER, 1, 1),
        tlv(TAG_OCTET_STRING, secret),
        tlv(TAG_CONTEXT_1, tlv(TAG_BIT_STRING, Uint8Array.of(0), publicKey)),
      ),
    ),
  );
}

/**
 * Reads a secp256k1 PKCS#8 key. Returns `undefined` when `der` is not a PKCS#8 secp256k1 key
 * (another key type: let `parsePrivateKeyDer` handle it); throws `BAD_KEY` when it is one but
 * malformed. Only the scalar's range is left to the caller.
 */
export function parseSecp256k1Pkcs8(der: Uint8Array): RawSecp256k1Key | undefined {
  let fields: Tlv[];
  try {
    fields = readAll(readOnly(der, TAG_SEQUENCE));
    if (fields.length < 3 || fields[1]!.tag !== TAG_SEQUENCE) return undefined;
    const algo = readAll(fields[1]!.content);
    if (
      algo.length !== 2 ||
      algo[0]!.tag !== TAG_OID ||
      algo[1]!.tag !== TAG_OID ||
      !bytesEqual(algo[0]!.content, OID_EC_PUBLIC_KEY) ||
      !bytesEqual(algo[1]!.content, OID_SECP256K1)
    ) {
      return undefined;
    }
  } catch (cause) {
    if (cause instanceof DerError) return undefined;
    throw cause;
  }
  // It says secp256k1: from here on, anything wrong is a bad key.
  try {
    const version = fields[0]!.content;
    if (
      fields.length !== 3 ||
      fields[0]!.tag !== TAG_INTEGER ||
      fields[2]!.tag !== TAG_OCTET_STRING
    ) {
      throw new DerError('not PKCS#8');
    }
    if (version.length !== 1 || version[0] !== 0) throw new DerError('unknown PKCS#8 version');
    const sec1 = readAll(readOnly(fields[2]!.content, TAG_SEQUENCE));
    if (
      sec1.length < 2 ||
      sec1[0]!.tag !== TAG_INTEGER ||
      sec1[0]!.content.length !== 1 ||
      sec1[0]!.content[0] !== 1 ||
      sec1[1]!.tag !== TAG_OCTET_STRING
    ) {
      throw new DerError('not an ECPrivateKey');
    }
    const d = sec1[1]!.content;
    if (d.length === 0 || d.length > 32) throw new DerError('the scalar is not 1 to 32 bytes');
    const secret = new Uint8Array(32);
    secret.set(d, 32 - d.length);
    let publicKey: Uint8Array | undefined;
    let last = 1;
    for (const f of sec1.slice(2)) {
      if (f.tag === TAG_CONTEXT_0 && last < 2) {
        if (!bytesEqual(readOnly(f.content, TAG_OID), OID_SECP256K1)) {
          throw new DerError('curve parameters disagree');
        }
        last = 2;
      } else if (f.tag === TAG_CONTEXT_1 && last < 3) {
        const bits = readOnly(f.content, TAG_BIT_STRING);
        if (bits.length < 2 || bits[0] !== 0) throw new DerError('bad public key bit string');
        publicKey = bits.slice(1);
        last = 3;
      } else {
        throw new DerError('unexpected field in ECPrivateKey');
      }
    }
    return { secret, publicKey };
  } catch (cause) {
    if (cause instanceof DerError) {
      throw bad(`not a secp256k1 PKCS#8 private key: ${cause.message}`, cause);
    }
    throw cause;
  }
}
