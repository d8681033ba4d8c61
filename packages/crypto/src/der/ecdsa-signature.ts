/** ECDSA signatures: ASN.1 DER (Go's form) to and from `r ‖ s` (IEEE P1363, WebCrypto's form). */
import {
  DerError,
  positiveInteger,
  readAll,
  readOnly,
  TAG_INTEGER,
  TAG_SEQUENCE,
  tlv,
} from './tlv.js';

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
