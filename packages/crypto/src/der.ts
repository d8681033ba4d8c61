/**
 * The small part of ASN.1 DER that keys and signatures need: SubjectPublicKeyInfo (PKIX),
 * PKCS#8, SEC1 `ECPrivateKey`, PKCS#1 `RSAPublicKey` and ECDSA signatures. Parsing is strict
 * (definite minimal lengths, no trailing bytes, minimal INTEGERs), the way Go's `cryptobyte`
 * and `encoding/asn1` read them; encoding reproduces Go's `x509` output byte for byte.
 *
 * Every failure is a `CryptoError('BAD_KEY')` (or a `false` from `parseEcdsaSignature`), never
 * a stray `RangeError`.
 */
import { bytesEqual, concatBytes } from '@peerwire/wire';
import { CryptoError } from './errors.js';

const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_NULL = 0x05;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;
const TAG_CONTEXT_0 = 0xa0;
const TAG_CONTEXT_1 = 0xa1;

/** One decoded TLV: its tag, its content and the offset just past it. */
interface Tlv {
  readonly tag: number;
  readonly content: Uint8Array;
  readonly end: number;
}

class DerError extends Error {}

/** Reads one TLV at `pos` with a minimal definite length. Throws DerError. */
function readTlv(buf: Uint8Array, pos: number): Tlv {
  if (pos + 2 > buf.length) throw new DerError('truncated');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used here');
  let len = buf[pos + 1]!;
  let at = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) throw new DerError('bad length');
    if (at + n > buf.length) throw new DerError('truncated');
    if (buf[at] === 0) throw new DerError('non-minimal length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + i]!;
    if (len < 0x80) throw new DerError('non-minimal length');
    at += n;
  }
  if (at + len > buf.length) throw new DerError('truncated');
  return { tag, content: buf.subarray(at, at + len), end: at + len };
}

/** Reads consecutive TLVs filling `buf` exactly. */
function readAll(buf: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const t = readTlv(buf, pos);
    out.push(t);
    pos = t.end;
  }
  return out;
}

/** Reads exactly one TLV of `tag` filling `buf`. */
function readOnly(buf: Uint8Array, tag: number): Uint8Array {
  const t = readTlv(buf, 0);
  if (t.tag !== tag || t.end !== buf.length) throw new DerError('unexpected structure');
  return t.content;
}

function lengthBytes(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  if (len < 0x100) return Uint8Array.of(0x81, len);
  if (len < 0x10000) return Uint8Array.of(0x82, len >> 8, len & 0xff);
  return Uint8Array.of(0x83, len >> 16, (len >> 8) & 0xff, len & 0xff);
}

function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const c of content) len += c.length;
  return concatBytes(Uint8Array.of(tag), lengthBytes(len), ...content);
}

// Object identifiers, DER content bytes.
const OID_EC_PUBLIC_KEY = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
const OID_P256 = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07);
const OID_P384 = Uint8Array.of(0x2b, 0x81, 0x04, 0x00, 0x22);
const OID_P521 = Uint8Array.of(0x2b, 0x81, 0x04, 0x00, 0x23);
const OID_SECP256K1 = Uint8Array.of(0x2b, 0x81, 0x04, 0x00, 0x0a);
const OID_ED25519 = Uint8Array.of(0x2b, 0x65, 0x70);
const OID_X25519 = Uint8Array.of(0x2b, 0x65, 0x6e);
const OID_RSA = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);

/** The key types this package handles. */
export type KeyType = 'P-256' | 'P-384' | 'Ed25519' | 'X25519' | 'RSA';

/** Byte length of a field element / scalar for the NIST curves. */
export function curveSize(type: 'P-256' | 'P-384'): number {
  return type === 'P-256' ? 32 : 48;
}

function curveOid(type: 'P-256' | 'P-384'): Uint8Array {
  return type === 'P-256' ? OID_P256 : OID_P384;
}

function curveFromOid(oid: Uint8Array): 'P-256' | 'P-384' {
  if (bytesEqual(oid, OID_P256)) return 'P-256';
  if (bytesEqual(oid, OID_P384)) return 'P-384';
  if (bytesEqual(oid, OID_P521)) throw unsupported('ECDSA P-521 keys are not supported');
  if (bytesEqual(oid, OID_SECP256K1)) {
    throw unsupported('secp256k1 keys are not supported (Go x509 cannot parse them)');
  }
  throw unsupported('an elliptic curve other than P-256 and P-384');
}

function unsupported(what: string): CryptoError {
  return new CryptoError('UNSUPPORTED_KEY', `${what}; use P-256, P-384, Ed25519, X25519 or RSA`);
}

function bad(what: string, cause?: unknown): CryptoError {
  return new CryptoError('BAD_KEY', what, cause === undefined ? undefined : { cause });
}

/** A public key taken apart: its type and its raw form (EC: uncompressed point; 25519: 32 bytes; RSA: PKCS#1 RSAPublicKey DER). */
export interface RawPublicKey {
  readonly type: KeyType;
  readonly raw: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// SubjectPublicKeyInfo

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

/** The magnitude of a minimal, positive DER INTEGER. */
function positiveInteger(content: Uint8Array): Uint8Array {
  if (content.length === 0) throw new DerError('empty INTEGER');
  if (content[0]! & 0x80) throw new DerError('negative INTEGER');
  if (content.length > 1 && content[0] === 0 && !(content[1]! & 0x80)) {
    throw new DerError('non-minimal INTEGER');
  }
  const mag = content[0] === 0 ? content.subarray(1) : content;
  if (mag.length === 0) throw new DerError('zero INTEGER');
  return mag;
}

function oidText(oid: Uint8Array): string {
  const parts: number[] = [];
  let v = 0;
  for (const b of oid) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0)
        parts.push(Math.min(2, Math.floor(v / 40)), v - 40 * Math.min(2, Math.floor(v / 40)));
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
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

// ---------------------------------------------------------------------------------------------
// Private keys

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

// ---------------------------------------------------------------------------------------------
// secp256k1 private keys (kept in keychains for protocols outside Spot; never a Spot key type)

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

// ---------------------------------------------------------------------------------------------
// ECDSA signatures

/**
 * Converts an ASN.1 DER ECDSA signature to `r ‖ s` (each `size` bytes), checking it as Go's
 * `ecdsa.VerifyASN1` does: one SEQUENCE of two minimal positive INTEGERs, nothing after it.
 * Returns `null` when the signature cannot be valid.
 */
export function parseEcdsaSignature(der: Uint8Array, size: number): Uint8Array | null {
  try {
    const fields = readAll(readOnly(der, TAG_SEQUENCE));
    if (fields.length !== 2 || fields[0]!.tag !== TAG_INTEGER || fields[1]!.tag !== TAG_INTEGER) {
      return null;
    }
    const r = positiveInteger(fields[0]!.content);
    const s = positiveInteger(fields[1]!.content);
    if (r.length > size || s.length > size) return null;
    const out = new Uint8Array(2 * size);
    out.set(r, size - r.length);
    out.set(s, 2 * size - s.length);
    return out;
  } catch (cause) {
    if (cause instanceof DerError) return null;
    throw cause;
  }
}

function integerBytes(mag: Uint8Array): Uint8Array {
  let i = 0;
  while (i < mag.length - 1 && mag[i] === 0) i++;
  const m = mag.subarray(i);
  return m[0]! & 0x80 ? tlv(TAG_INTEGER, Uint8Array.of(0), m) : tlv(TAG_INTEGER, m);
}

/** Converts `r ‖ s` (IEEE P1363, WebCrypto's form) to ASN.1 DER (Go's form). */
export function encodeEcdsaSignature(rs: Uint8Array): Uint8Array {
  const size = rs.length >> 1;
  return tlv(TAG_SEQUENCE, integerBytes(rs.subarray(0, size)), integerBytes(rs.subarray(size)));
}
