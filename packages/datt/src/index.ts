export type { CompactBackend, VerifyOptions } from './bsm.js';
export {
  bsmHash,
  COMPACT_SIGNATURE_LENGTH,
  nobleCompact,
  recoverCompact,
  recoverMessageSigner,
  signCompact,
  signMessage,
  verifyCompact,
  verifyMessage,
} from './bsm.js';
export {
  compactSizeLength,
  encodeCompactSize,
  readCompactSize,
  writeCompactSize,
} from './compact-size.js';
export type { ContentAuth, ContentAuthInit, ContentBody, SignedContent } from './content-auth.js';
export {
  CONTENT_AUTH_HEADER_LENGTH,
  contentHashOf,
  decodeContentAuth,
  encodeContentAuth,
  encodeContentBody,
  HASH_LENGTH,
  parseContentBody,
  signContentAuth,
  verifyContentAuth,
} from './content-auth.js';
export type { ContentStore } from './content-store.js';
export { DEFAULT_MEMORY_STORE_MAX_BYTES, MemoryContentStore } from './content-store.js';
export type { Dmsg, DmsgLimits, DmsgOptions } from './dmsg.js';
export {
  DEFAULT_MAX_DMSG_DATA_LENGTH,
  DMSG_COMMAND_LENGTH,
  DMSG_HEADER_LENGTH,
  DMSG_MAGIC,
  DmsgDecoder,
  DmsgFramer,
  decodeDmsg,
  dmsgChecksum,
  encodeCommand,
  encodeDmsg,
} from './dmsg.js';
export type { EciesEncryptOptions } from './ecies-bitcore.js';
export { BITCORE_ECIES_MIN_LENGTH, bitcoreDecrypt, bitcoreEncrypt } from './ecies-bitcore.js';
export {
  ELECTRUM_ECIES_MIN_LENGTH,
  ELECTRUM_MAGIC,
  electrumDecrypt,
  electrumEncrypt,
} from './ecies-electrum.js';
export { DattEngine } from './engine.js';
export type {
  Clock,
  DattEngineOptions,
  DattEvent,
  DattLimits,
  DattOutput,
  DattPolicy,
  DattStats,
  DisconnectReason,
  Framing,
  Price,
  RequestFailure,
} from './engine-types.js';
export { DATT_LIMIT_DESCRIPTIONS, DEFAULT_DATT_LIMITS } from './engine-types.js';
export type { ContentOp, ContentOpValues, ContentResult, ContentWork } from './engine-work.js';
export type {
  EciesForm,
  Envelope,
  EnvelopeLimits,
  OpenedEnvelope,
  SealOptions,
} from './envelope.js';
export {
  decodeEnvelope,
  ENVELOPE_HEADER_LENGTH,
  encodeEnvelope,
  openEnvelope,
  sealEnvelope,
  verifyEnvelopeSender,
} from './envelope.js';
export type { DattErrorCode, DattRequestErrorCode } from './errors.js';
export { DattError, DattRequestError } from './errors.js';
export type { HashFunction } from './hash.js';
export { constantTimeEqual, hash160, sha256, sha256d } from './hash.js';
export type { RandomSource } from './keys.js';
export {
  assertPrivateKey,
  assertPublicKey,
  generatePrivateKey,
  PRIVATE_KEY_LENGTH,
  PUBLIC_KEY_LENGTH,
  platformRandom,
  publicKeyOf,
} from './keys.js';
export type { DattCommand, DattMessage, InitInfo } from './messages.js';
export {
  DATT_COMMANDS,
  DATT_PROTOCOL_VERSION,
  decodeMessage,
  decodeMessageData,
  encodeMessage,
  encodeMessageData,
  MAX_INIT_ADDRESSES,
  PING_NONCE_LENGTH,
  Services,
} from './messages.js';
export type { PaymentRequest, VerifiedPayment } from './payment.js';
export { verifyPayment } from './payment.js';
export {
  ADDRESS_LENGTH,
  AddressVersion,
  addressFromPublicKey,
  addressFromString,
  addressToString,
  scriptPubKeyFor,
} from './payment-address.js';
export type { Transaction, TransactionLimits, TxInput, TxOutput } from './transaction.js';
export { parseTransaction, serializeTransaction, transactionId } from './transaction.js';
