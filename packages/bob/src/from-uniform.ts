import { ed25519 } from '@noble/curves/ed25519.js';

const Point = ed25519.Point;
const Fp = Point.Fp;
/** Montgomery curve25519's A. */
const A = 486662n;
/** sqrt(-(A + 2)): any root works, step 4 fixes the sign. */
const SQRT_MINUS_A_PLUS_2 = Fp.sqrt(Fp.neg(A + 2n));

function leToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/**
 * libsodium's `crypto_core_ed25519_from_uniform` (spoke:lib/ed25519_ref10.c
 * `ge25519_from_uniform`): Elligator 2 on curve25519, mapped to edwards25519, sign of x taken from
 * the top bit of the input, then multiplied by the cofactor 8. Not RFC 9380 `map_to_curve`: the
 * sign handling differs (spec §6.3). Input: 32 bytes; output: a 32-byte Ed25519 point encoding.
 */
export function fromUniform(r: Uint8Array): Uint8Array {
  if (r.length !== 32) throw new RangeError('fromUniform takes 32 bytes');
  const s = Uint8Array.from(r);
  const xSign = s[31]! >> 7;
  s[31]! &= 0x7f;
  const rr = Fp.create(leToBigint(s));

  // Elligator 2: u = -A / (1 + 2 r^2) (1/0 taken as 0); if u^3 + A u^2 + u is not a square,
  // u = -u - A; v = sqrt(u^3 + A u^2 + u).
  const denominator = Fp.add(Fp.mul(2n, Fp.sqr(rr)), 1n);
  let u = Fp.neg(Fp.mul(A, Fp.is0(denominator) ? 0n : Fp.inv(denominator)));
  const curve = (w: bigint) => Fp.add(Fp.add(Fp.mul(Fp.sqr(w), w), Fp.mul(A, Fp.sqr(w))), w);
  let gu = curve(u);
  if (!isSquare(gu)) {
    u = Fp.sub(Fp.neg(u), A);
    gu = curve(u);
  }
  const v = Fp.sqrt(gu);

  // Montgomery (u, v) to Edwards (x, y): x = sqrt(-(A+2)) u / v, y = (u - 1) / (u + 1); the
  // point (0, 1) when (u + 1) v = 0.
  const uPlus1 = Fp.add(u, 1n);
  let x: bigint;
  let y: bigint;
  if (Fp.is0(Fp.mul(uPlus1, v))) {
    x = 0n;
    y = 1n;
  } else {
    x = Fp.mul(Fp.mul(SQRT_MINUS_A_PLUS_2, u), Fp.inv(v));
    y = Fp.mul(Fp.sub(u, 1n), Fp.inv(uPlus1));
  }
  if (Number(x & 1n) !== xSign) x = Fp.neg(x);
  return Point.fromAffine({ x, y }).clearCofactor().toBytes();
}

function isSquare(n: bigint): boolean {
  if (Fp.is0(n)) return true;
  return Fp.eql(Fp.pow(n, (Fp.ORDER - 1n) / 2n), Fp.ONE);
}
