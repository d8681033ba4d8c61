export type { Address, Target } from './address.js';
export {
  addressOf,
  endpointOf,
  formatAddress,
  formatTarget,
  HASH_TEXT_LENGTH,
  hashFromBytes,
  hashToBytes,
  identityHash,
  isValidHash,
  normalizeAddress,
  parseAddress,
  parseTarget,
  targetOf,
  withEndpoint,
} from './address.js';
export type { AddressErrorCode } from './errors.js';
export { AddressError } from './errors.js';
