import { sha256 } from '@noble/hashes/sha2.js';
import { fromBase64Url, toBase64Url } from '@peerwire/wire';
import { AddressError } from './errors.js';

/** Where an address points (the part before the first `/`). */
export type Target =
  /** An identity: every live connection whose IDCard `Self` hashes to `hash`; `server` is a hint. */
  | { readonly type: 'k'; readonly hash: string; readonly server?: string }
  /** Exactly one connection, `c.<server>.<clientId>`. */
  | { readonly type: 'c'; readonly server: string; readonly clientId: string }
  /** A random nearby member of the group whose key hashes to `hash`. */
  | { readonly type: 'g'; readonly hash: string }
  /** The relay itself (`@/<endpoint>`). */
  | { readonly type: '@' }
  /** No target: a sender written by a client (`/<endpoint>`); the relay fills it in. */
  | { readonly type: '' };

/** A parsed Spot address. */
export interface Address {
  readonly target: Target;
  /** Everything after the first `/` (may be empty, or contain more `/`); undefined without `/`. */
  readonly endpoint?: string;
}

/** Length of an identity hash in base64url characters (32 bytes, unpadded). */
export const HASH_TEXT_LENGTH = 43;

// 32 bytes = 256 bits = 42 full characters + 4 bits: the last character's low 2 bits are zero.
const HASH_RE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** Whether `text` is a valid identity/group hash (43 base64url characters encoding 32 bytes). */
export function isValidHash(text: string): boolean {
  return text.length === HASH_TEXT_LENGTH && HASH_RE.test(text);
}

/** The identity hash of a PKIX public key: base64url(SHA-256(pkix)), unpadded. */
export function identityHash(pkix: Uint8Array): string {
  return toBase64Url(sha256(pkix));
}

/** The `k.` address of an identity whose IDCard `Self` (or a group key) is `pkix`. */
export function addressOf(pkix: Uint8Array): string {
  return `k.${identityHash(pkix)}`;
}

/** The 32 bytes an identity hash encodes. */
export function hashToBytes(hash: string): Uint8Array {
  if (!isValidHash(hash))
    throw new AddressError('BAD_HASH', hash, 'not a 43-character base64url hash of 32 bytes');
  return fromBase64Url(hash);
}

/** The hash text of 32 bytes. */
export function hashFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 32)
    throw new AddressError('BAD_HASH', '', `a hash is 32 bytes, got ${bytes.length}`);
  return toBase64Url(bytes);
}

/**
 * Rewrites the seed's legacy colon form (`k:…`, `c:srv:id`, `g:…`) to dots, in the target part
 * only; colons in the endpoint are ordinary characters. Anything else is returned unchanged.
 */
export function normalizeAddress(text: string): string {
  const c0 = text.charCodeAt(0);
  // 'k' 107, 'c' 99, 'g' 103, ':' 58
  if (text.charCodeAt(1) !== 58 || (c0 !== 107 && c0 !== 99 && c0 !== 103)) return text;
  const slash = text.indexOf('/');
  const target = slash < 0 ? text : text.slice(0, slash);
  return target.replaceAll(':', '.') + (slash < 0 ? '' : text.slice(slash));
}

function checkHash(input: string, hash: string, what: string): string {
  if (hash === '') throw new AddressError('MISSING_PART', input, `the ${what} hash is missing`);
  if (!isValidHash(hash)) {
    throw new AddressError(
      'BAD_HASH',
      input,
      `the ${what} hash ${JSON.stringify(hash)} is not 43 base64url characters encoding 32 bytes`,
    );
  }
  return hash;
}

/** Parses only the target part (before the first `/`); the legacy colon form is accepted. */
export function parseTarget(targetText: string, input = targetText): Target {
  if (targetText === '') return { type: '' };
  if (targetText === '@') return { type: '@' };
  const text = normalizeAddress(targetText);
  const parts = text.split('.');
  const type = parts[0];
  switch (type) {
    case 'k': {
      if (parts.length === 2) return { type: 'k', hash: checkHash(input, parts[1]!, 'identity') };
      if (parts.length === 3) {
        if (parts[1] === '')
          throw new AddressError('MISSING_PART', input, 'the server hint is empty');
        return { type: 'k', server: parts[1]!, hash: checkHash(input, parts[2]!, 'identity') };
      }
      throw new AddressError(
        parts.length < 2 ? 'MISSING_PART' : 'TOO_MANY_PARTS',
        input,
        'an identity is k.<hash> or k.<server>.<hash>',
      );
    }
    case 'c': {
      if (parts.length < 3)
        throw new AddressError('MISSING_PART', input, 'a connection is c.<server>.<client id>');
      const server = parts[1]!;
      const clientId = parts.slice(2).join('.');
      if (server === '')
        throw new AddressError('MISSING_PART', input, 'the server of a c. address is empty');
      if (clientId === '')
        throw new AddressError('MISSING_PART', input, 'the client id of a c. address is empty');
      return { type: 'c', server, clientId };
    }
    case 'g': {
      if (parts.length !== 2) {
        throw new AddressError(
          parts.length < 2 ? 'MISSING_PART' : 'TOO_MANY_PARTS',
          input,
          'a group is g.<hash>',
        );
      }
      return { type: 'g', hash: checkHash(input, parts[1]!, 'group') };
    }
    default:
      throw new AddressError(
        'BAD_TYPE',
        input,
        `unknown target type ${JSON.stringify(type)} (expected k., c., g. or @)`,
      );
  }
}

/**
 * Parses `<target>/<endpoint>`. Accepts the legacy colon form on input (normalised to dots).
 * Throws `AddressError` naming the bad part.
 */
export function parseAddress(text: string): Address {
  const slash = text.indexOf('/');
  if (slash < 0) return { target: parseTarget(text, text) };
  return { target: parseTarget(text.slice(0, slash), text), endpoint: text.slice(slash + 1) };
}

/** Formats a target in the dot form. */
export function formatTarget(target: Target): string {
  switch (target.type) {
    case 'k':
      return target.server === undefined ? `k.${target.hash}` : `k.${target.server}.${target.hash}`;
    case 'c':
      return `c.${target.server}.${target.clientId}`;
    case 'g':
      return `g.${target.hash}`;
    case '@':
      return '@';
    case '':
      return '';
  }
}

/** Formats an address in the dot form (`parseAddress` inverse). */
export function formatAddress(address: Address): string {
  const target = formatTarget(address.target);
  return address.endpoint === undefined ? target : `${target}/${address.endpoint}`;
}

/**
 * The handler name an address delivers to, as the reference client computes it: the text after
 * the first `/`, cut at the next `/` (`k.X/ep/more` → `ep`). Empty when there is no endpoint.
 */
export function endpointOf(address: string): string {
  const slash = address.indexOf('/');
  if (slash < 0) return '';
  const next = address.indexOf('/', slash + 1);
  return next < 0 ? address.slice(slash + 1) : address.slice(slash + 1, next);
}

/** The target text of an address (before the first `/`), normalised to dots. */
export function targetOf(address: string): string {
  const slash = address.indexOf('/');
  return normalizeAddress(slash < 0 ? address : address.slice(0, slash));
}

/** `<target>/<endpoint>`. */
export function withEndpoint(target: Target | string, endpoint: string): string {
  return `${typeof target === 'string' ? target : formatTarget(target)}/${endpoint}`;
}
