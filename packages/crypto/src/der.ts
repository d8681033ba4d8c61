/**
 * The small part of ASN.1 DER that keys and signatures need, hand-written so that parsing is as
 * strict as Go's `cryptobyte` and `encoding/asn1` and encoding matches Go's `x509` byte for
 * byte. Every failure is a `CryptoError('BAD_KEY')` (or a `false`/`null` from the signature
 * parser), never a stray `RangeError`. One file per format under `der/`:
 * `tlv` (the reader and writer), `algorithms` (OIDs, key types, curves), `spki` (PKIX public
 * keys, PKCS#1 RSA), `pkcs8` (PKCS#8, SEC1, secp256k1), `ecdsa-signature`.
 */
export { curveSize, type KeyType } from './der/algorithms.js';
export { encodeEcdsaSignature, parseEcdsaSignature } from './der/ecdsa-signature.js';
export {
  buildPkcs8,
  buildSec1,
  buildSecp256k1Pkcs8,
  parsePrivateKeyDer,
  parseSecp256k1Pkcs8,
  type RawPrivateKey,
  type RawSecp256k1Key,
} from './der/pkcs8.js';
export { buildSpki, parseRsaPublicKey, parseSpki, type RawPublicKey } from './der/spki.js';
