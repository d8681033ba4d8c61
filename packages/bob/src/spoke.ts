import { ed25519 } from '@noble/curves/ed25519.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { utf8Encode } from '@peerwire/wire';
import { SpokeError, SpokeFailure } from './errors.js';
import { fromUniform } from './from-uniform.js';
import { POINT_LENGTH, PUBLIC_LENGTH, VALIDATOR_LENGTH } from './packet.js';
import { spokePbkdf2 } from './pbkdf2.js';
import {
  BOB_PBKDF2_ITERATIONS,
  decodePublic,
  encodePublic,
  type PublicLimits,
  SpokeCipher,
  type SpokePublic,
} from './spoke-public.js';

const Point = ed25519.Point;
type EdPoint = InstanceType<typeof Point>;
const ORDER = Point.Fn.ORDER;

/** A source of cryptographically secure random bytes (injected: the core draws none itself). */
export type RandomSource = (length: number) => Uint8Array;

/** Size of the spoke secret: public ‖ M ‖ N ‖ h_K ‖ L. */
export const SECRET_LENGTH = PUBLIC_LENGTH + 4 * 32;

/** The values a password and a public give (spec §6.2). Points are 32-byte encodings. */
export interface SpokeKeys {
  readonly M: Uint8Array;
  readonly N: Uint8Array;
  readonly hK: Uint8Array;
  readonly hL: Uint8Array;
  readonly L: Uint8Array;
}

/** The sender's secret (never sent): its public and the derived M, N, h_K, L. */
export interface SpokeSecret {
  readonly public: Uint8Array;
  readonly M: Uint8Array;
  readonly N: Uint8Array;
  readonly hK: Uint8Array;
  readonly L: Uint8Array;
}

/** The identities bound into the key schedule: always the relay-given strings (spec §1.4). */
export interface Identities {
  readonly client: string;
  readonly server: string;
}

/** The two 64-byte shared keys: `client` = subkey 0 (client_sk), `server` = subkey 1. */
export interface SharedKeys {
  readonly client: Uint8Array;
  readonly server: Uint8Array;
}

/** The client's state between `clientHello` and `clientCompute`. */
export interface ClientHandshake {
  readonly x: Uint8Array;
  readonly X: Uint8Array;
  readonly N: Uint8Array;
  readonly hK: Uint8Array;
  readonly hL: Uint8Array;
  readonly ciphers: readonly [SpokeCipher, SpokeCipher];
}

/** The server's state between `serverCompute` and `serverFinalize`. */
export interface ServerHandshake {
  /** The validator the client must send back (packet `05`, subkey 3). */
  readonly expected: Uint8Array;
  readonly sharedKeys: SharedKeys;
  readonly ciphers: readonly [SpokeCipher, SpokeCipher];
}

const badPoint = (what: string) =>
  new SpokeError(SpokeFailure.PointNotOnPrimeOrderSubgroup, `spoke: ${what}`);

function toBytes(password: string | Uint8Array): Uint8Array {
  return typeof password === 'string' ? utf8Encode(password) : password;
}

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new RangeError('identities are latin1 strings (one byte per character)');
    out[i] = c;
  }
  return out;
}

function scalarOf(bytes: Uint8Array, clamp: boolean): bigint {
  const t = Uint8Array.from(bytes);
  if (clamp) {
    t[0]! &= 248;
    t[31]! |= 64;
  }
  t[31]! &= 127;
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(t[i]!);
  return v % ORDER;
}

function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

function decodePoint(bytes: Uint8Array, what: string): EdPoint {
  try {
    return Point.fromBytes(bytes, false);
  } catch (cause) {
    throw new SpokeError(
      SpokeFailure.PointNotOnPrimeOrderSubgroup,
      `spoke: ${what} is not a valid point`,
      {
        cause,
      },
    );
  }
}

/**
 * Window of the base-point table (4 bits). A handshake does a handful of base multiplications,
 * so building noble's default 8-bit table (~35 ms) costs more than it ever saves; a 4-bit one
 * takes ~8 ms. Kept on our own copy of B, so nobody else's table changes.
 */
export const BASE_TABLE_WINDOW = 4;
let base: EdPoint | undefined;

/** `_crypto_scalarmult_ed25519_base`: n·B (clamped or not). */
function mulBase(n: Uint8Array, clamp: boolean): Uint8Array {
  const k = scalarOf(n, clamp);
  if (k === 0n || isZero(n)) throw badPoint('zero scalar');
  if (!base) {
    base = Point.fromAffine(Point.BASE.toAffine());
    base.precompute(BASE_TABLE_WINDOW);
  }
  return base.multiply(k).toBytes();
}

/**
 * `_crypto_scalarmult_ed25519`: n·P, rejecting a non-canonical, small-order or
 * non-prime-order P, a zero scalar and an identity result (spec §6.4).
 */
function mulPoint(n: Uint8Array, p: Uint8Array, clamp: boolean, what: string): Uint8Array {
  const point = decodePoint(p, what);
  if (point.isSmallOrder()) throw badPoint(`${what} has small order`);
  if (!point.isTorsionFree()) throw badPoint(`${what} is not in the prime-order subgroup`);
  if (isZero(n)) throw badPoint('zero scalar');
  const k = scalarOf(n, clamp);
  if (k === 0n) throw badPoint('the result is the identity');
  const q = point.multiply(k);
  if (q.is0()) throw badPoint('the result is the identity');
  return q.toBytes();
}

function addPoints(a: Uint8Array, b: Uint8Array, what: string): Uint8Array {
  return decodePoint(a, what).add(decodePoint(b, what)).toBytes();
}

function subPoints(a: Uint8Array, b: Uint8Array, what: string): Uint8Array {
  return decodePoint(a, what).subtract(decodePoint(b, what)).toBytes();
}

/** Password + public → M, N, h_K, h_L, L (spec §6.2). */
export function deriveKeys(password: string | Uint8Array, pub: SpokePublic): SpokeKeys {
  const mnkl = spokePbkdf2(toBytes(password), pub.salt, pub.iterations, 128);
  const hL = mnkl.slice(96, 128);
  return {
    M: fromUniform(mnkl.subarray(0, 32)),
    N: fromUniform(mnkl.subarray(32, 64)),
    hK: mnkl.slice(64, 96),
    hL,
    L: mulBase(hL, true),
  };
}

export interface GenerateOptions {
  /** 16 random bytes (draw them from a CSPRNG). */
  readonly salt: Uint8Array;
  /** PBKDF2 iterations (default 16, as bob). */
  readonly iterations?: number;
  /** (cipher0, cipher1); default (AES-GCM, ChaCha20-Poly1305) as bob. cipher0 must be GCM. */
  readonly ciphers?: readonly [SpokeCipher, SpokeCipher];
}

/** The sender's secret for a password (spoke `generate`). */
export function generateSecret(
  password: string | Uint8Array,
  options: GenerateOptions,
): SpokeSecret {
  const pub: SpokePublic = {
    iterations: options.iterations ?? BOB_PBKDF2_ITERATIONS,
    ciphers: options.ciphers ?? [SpokeCipher.AesGcm, SpokeCipher.ChaCha20Poly1305],
    salt: options.salt,
  };
  const publicBytes = encodePublic(pub);
  const keys = deriveKeys(password, pub);
  return { public: publicBytes, M: keys.M, N: keys.N, hK: keys.hK, L: keys.L };
}

/** The 162-byte serialization of a secret. */
export function encodeSecret(secret: SpokeSecret): Uint8Array {
  const out = new Uint8Array(SECRET_LENGTH);
  out.set(secret.public, 0);
  out.set(secret.M, 34);
  out.set(secret.N, 66);
  out.set(secret.hK, 98);
  out.set(secret.L, 130);
  return out;
}

/** Parses a 162-byte secret; failure `04` (Invalid_secret_packet) when malformed. */
export function decodeSecret(bytes: Uint8Array): SpokeSecret {
  if (bytes.length !== SECRET_LENGTH) {
    throw new SpokeError(SpokeFailure.InvalidSecret, `a spoke secret is ${SECRET_LENGTH} bytes`);
  }
  try {
    decodePublic(bytes.subarray(0, 34), { maxIterations: Number.MAX_SAFE_INTEGER });
  } catch (cause) {
    throw new SpokeError(SpokeFailure.InvalidSecret, 'the secret holds an invalid public', {
      cause,
    });
  }
  return {
    public: bytes.slice(0, 34),
    M: bytes.slice(34, 66),
    N: bytes.slice(66, 98),
    hK: bytes.slice(98, 130),
    L: bytes.slice(130, 162),
  };
}

/**
 * spoke's `random_scalar`: 32 random bytes with `b[0] &= 248; b[31] &= 127`, redrawn while
 * all zero. Used unclamped.
 */
export function randomScalar(random: RandomSource): Uint8Array {
  for (;;) {
    const b = Uint8Array.from(random(32));
    if (b.length !== 32) throw new RangeError('the random source returned the wrong length');
    b[0]! &= 248;
    b[31]! &= 127;
    if (!isZero(b)) return b;
  }
}

/** A random source, or a fixed scalar (for test vectors and `--reproduce`-style runs). */
export type ScalarSource = RandomSource | { readonly scalar: Uint8Array };

function drawScalar(source: ScalarSource): Uint8Array {
  return typeof source === 'function' ? randomScalar(source) : Uint8Array.from(source.scalar);
}

/**
 * Client step 1 (spoke `hello`): parse the public, derive the keys, X = x·B + M. Throws
 * `SpokeError` (`03` for a bad public).
 */
export function clientHello(
  publicBytes: Uint8Array,
  password: string | Uint8Array,
  source: ScalarSource,
  limits: PublicLimits = {},
): { state: ClientHandshake; X: Uint8Array } {
  const pub = decodePublic(publicBytes, limits);
  const keys = deriveKeys(password, pub);
  const x = drawScalar(source);
  const X = addPoints(mulBase(x, false), keys.M, 'x·B + M');
  return { state: { x, X, N: keys.N, hK: keys.hK, hL: keys.hL, ciphers: pub.ciphers }, X };
}

function subkey(main: Uint8Array, index: number): Uint8Array {
  const message = new Uint8Array(32);
  message.set([0x53, 0x50, 0x4f, 0x4b, 0x45], 0); // "SPOKE", then 11 zero bytes
  new DataView(message.buffer).setBigUint64(16, BigInt(index), true); // LE64(i), then 8 zeros
  return blake2b(message, { key: main, dkLen: 64 });
}

function schedule(
  identities: Identities,
  X: Uint8Array,
  Y: Uint8Array,
  Z: Uint8Array,
  hK: Uint8Array,
  V: Uint8Array,
): { sharedKeys: SharedKeys; clientValidator: Uint8Array; serverValidator: Uint8Array } {
  const h = blake2b.create({ dkLen: 64 });
  h.update(Uint8Array.of(1, 0)); // version 1, little-endian u16
  h.update(latin1Bytes(identities.client));
  h.update(latin1Bytes(identities.server));
  h.update(X).update(Y).update(Z).update(hK).update(V);
  const main = h.digest();
  return {
    sharedKeys: { client: subkey(main, 0), server: subkey(main, 1) },
    clientValidator: subkey(main, 2),
    serverValidator: subkey(main, 3),
  };
}

/**
 * Server step (spoke `server_compute`): Y = y·B + N, Z = y·(X − M), V = y·L. Returns Y and the
 * validator for packet `06` (subkey 2). Throws `SpokeError` `00` for a bad X.
 */
export function serverCompute(
  secret: SpokeSecret,
  identities: Identities,
  X: Uint8Array,
  source: ScalarSource,
): { state: ServerHandshake; Y: Uint8Array; validator: Uint8Array } {
  if (X.length !== POINT_LENGTH) throw badPoint('X must be 32 bytes');
  const pub = decodePublic(secret.public, { maxIterations: Number.MAX_SAFE_INTEGER });
  const y = drawScalar(source);
  const Y = addPoints(mulBase(y, false), secret.N, 'y·B + N');
  const gx = subPoints(X, secret.M, 'X');
  const Z = mulPoint(y, gx, false, 'X − M');
  const V = mulPoint(y, secret.L, false, 'L');
  const k = schedule(identities, X, Y, Z, secret.hK, V);
  return {
    state: { expected: k.serverValidator, sharedKeys: k.sharedKeys, ciphers: pub.ciphers },
    Y,
    validator: k.clientValidator,
  };
}

/** Constant-time equality of two byte strings of public length. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i]! ^ b[i]!;
  return acc === 0;
}

/**
 * Client step 2 (spoke `client_compute`): checks the server's validator (packet `06`) and
 * returns the shared keys and the validator for packet `05` (subkey 3). A mismatch (usually a
 * wrong password) throws `SpokeError` `01`.
 */
export function clientCompute(
  state: ClientHandshake,
  identities: Identities,
  Y: Uint8Array,
  validator: Uint8Array,
): { sharedKeys: SharedKeys; validator: Uint8Array } {
  if (Y.length !== POINT_LENGTH) throw badPoint('Y must be 32 bytes');
  const gy = subPoints(Y, state.N, 'Y');
  const Z = mulPoint(state.x, gy, false, 'Y − N');
  const V = mulPoint(state.hL, gy, true, 'Y − N');
  const k = schedule(identities, state.X, Y, Z, state.hK, V);
  if (validator.length !== VALIDATOR_LENGTH || !constantTimeEqual(k.clientValidator, validator)) {
    throw new SpokeError(
      SpokeFailure.InvalidClientValidator,
      'spoke: the validator does not match (wrong password?)',
    );
  }
  return { sharedKeys: k.sharedKeys, validator: k.serverValidator };
}

/** Server step 2 (spoke `server_finalize`): checks packet `05`; a mismatch throws `02`. */
export function serverFinalize(state: ServerHandshake, validator: Uint8Array): SharedKeys {
  if (validator.length !== VALIDATOR_LENGTH || !constantTimeEqual(state.expected, validator)) {
    throw new SpokeError(
      SpokeFailure.InvalidServerValidator,
      'spoke: the validator does not match (wrong password?)',
    );
  }
  return state.sharedKeys;
}
