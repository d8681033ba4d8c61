export type {
  Awaitable,
  BackendName,
  BackendOptions,
  CryptoBackend,
  PrivateKeyMaterial,
  PublicKeyMaterial,
  ScryptParams,
} from './backend.js';
export { fastBackend, portableBackend, webCryptoBackend } from './backends/index.js';
export type { CryptoErrorCode } from './errors.js';
export { CryptoError } from './errors.js';
export type { KeyType, PrivateKey, PublicKey } from './keys.js';
export {
  canDecrypt,
  canSign,
  configureKeyCache,
  DEFAULT_KEY_CACHE_SIZE,
  exportPrivateKey,
  generatePrivateKey,
  importPrivateKey,
  keyAddress,
  parsePublicKey,
  sign,
  verify,
} from './keys.js';
