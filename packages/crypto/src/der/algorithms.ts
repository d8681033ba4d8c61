/** Algorithm identifiers: the object identifiers, key types and curves the formats name. */
import { bytesEqual } from '@peerwire/wire';
import { CryptoError } from '../errors.js';

// Object identifiers, DER content bytes.
export const OID_EC_PUBLIC_KEY = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
export const OID_P256 = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07);
export const OID_P384 = Uint8Array.of(0x2b, 0x81, 0x04, 0x00, 0x22);
export const OID_P521 = Uint8Array.of(0x2b, 0x81, 0x04, 0x00, 0x23);
export const OID_SECP256K1 = Uint8Array.of(0x2b, 0x81, 0x04, 0x00, 0x0a);
export const OID_ED25519 = Uint8Array.of(0x2b, 0x65, 0x70);
export const OID_X25519 = Uint8Array.of(0x2b, 0x65, 0x6e);
export const OID_RSA = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);

/** The key types this package handles. */
export type KeyType = 'P-256' | 'P-384' | 'Ed25519' | 'X25519' | 'RSA';

/** Byte length of a field element / scalar for the NIST curves. */
export function curveSize(type: 'P-256' | 'P-384'): number {
  return type === 'P-256' ? 32 : 48;
}

export function curveOid(type: 'P-256' | 'P-384'): Uint8Array {
  return type === 'P-256' ? OID_P256 : OID_P384;
}

export function curveFromOid(oid: Uint8Array): 'P-256' | 'P-384' {
  if (bytesEqual(oid, OID_P256)) return 'P-256';
  if (bytesEqual(oid, OID_P384)) return 'P-384';
  if (bytesEqual(oid, OID_P521)) throw unsupported('ECDSA P-521 keys are not supported');
  if (bytesEqual(oid, OID_SECP256K1)) {
    throw unsupported('secp256k1 keys are not supported (Go x509 cannot parse them)');
  }
  throw unsupported('an elliptic curve other than P-256 and P-384');
}

export function unsupported(what: string): CryptoError {
  return new CryptoError('UNSUPPORTED_KEY', `${what}; use P-256, P-384, Ed25519, X25519 or RSA`);
}

/** Dotted text of an OID's content bytes (for error messages). */
export function oidText(oid: Uint8Array): string {
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
