export type {
  Awaitable,
  BackendName,
  BackendOptions,
  CryptoBackend,
  PrivateKeyMaterial,
  PublicKeyMaterial,
  ScryptParams,
} from './backend.js';
export {
  fastBackend,
  nodeThreadPoolBackend,
  portableBackend,
  webCryptoBackend,
} from './backends/index.js';
export type { EncryptOptions, KeyHolder, MessageRecipient, MessageSignature } from './bottle.js';
export { Bottle, BottleFormat } from './bottle.js';
export type { CryptoErrorCode } from './errors.js';
export { CryptoError } from './errors.js';
export type { VerifyHandshakeOptions } from './handshake.js';
export {
  HANDSHAKE_KEY_TYPES,
  signHandshake,
  verifyHandshake,
  verifyHandshakeSignature,
} from './handshake.js';
export type { NowOptions, ParseSignedOptions, SubKey } from './idcard.js';
export { configureIdCardCache, DEFAULT_IDCARD_CACHE_SIZE, IDCard } from './idcard.js';
export { MAX_EPHEMERAL_KEY_LENGTH } from './key-wrap.js';
export type {
  KeychainKdfParams,
  KeychainLoadOptions,
  KeychainSaveOptions,
} from './keychain.js';
export { DEFAULT_KEYCHAIN_KDF, Keychain, MAX_KEYCHAIN_KDF_MEMORY } from './keychain.js';
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
export type {
  GroupCard,
  MembershipOptions,
  MembershipSubject,
  MembershipVerifyOptions,
} from './membership.js';
export { Membership } from './membership.js';
export type { OpenMessageOptions, SealOptions } from './message-body.js';
export { openMessageBody, sealMessageBody, signMessageBody } from './message-body.js';
export type { OpenOptions, OpenResult, Signer } from './open.js';
export {
  DEFAULT_MAX_DECRYPT_ATTEMPTS,
  DEFAULT_MAX_LAYERS,
  DEFAULT_MAX_SIGNATURES,
  openBottle,
  signedBy,
} from './open.js';
