export type { Endpoint } from './codec/address.js';
export {
  ADDRESS_LENGTH,
  formatEndpoint,
  formatIp,
  IP_LENGTH,
  isV4Mapped,
  parseEndpoint,
  parseIp,
} from './codec/address.js';
export type {
  BaseHelloMessage,
  BaseToPeerDataMessage,
  BaseToPeerMessage,
  DeviceAddressesMessage,
  NatOkMessage,
  StateMessage,
  TransientRange,
} from './codec/base-to-peer.js';
export {
  BASE_HELLO_LENGTH,
  BaseToPeerKind,
  decodeBaseToPeer,
  encodeBaseToPeer,
  MAX_STATE_ADDRESSES,
  usableTransientRange,
} from './codec/base-to-peer.js';
export type { DeviceId } from './codec/device-id.js';
export {
  BAD_DEVICE_ID,
  DEVICE_ID_LENGTH,
  DEVICE_ID_PREFIX,
  deviceIdOf,
  formatDeviceId,
  isBadDeviceId,
  meetsProofOfWork,
  PROOF_OF_WORK_BOUND,
  PUBLIC_KEY_LENGTH,
  parseDeviceId,
  verifyDeviceId,
} from './codec/device-id.js';
export {
  DEFAULT_MAX_TCP_PAYLOAD,
  encodeRecord,
  NatbaseFramer,
  RECORD_HEADER_LENGTH,
} from './codec/framing.js';
export type { Identity, RandomSource } from './codec/identity.js';
export {
  DEFAULT_MAX_GENERATION_ATTEMPTS,
  generateIdentity,
  identityFromSecretKey,
} from './codec/identity.js';
export type { CompressedPacket } from './codec/ipv6-compression.js';
export {
  compressIPv6,
  decodeCompressed,
  encodeCompressed,
  expandToIPv6,
  IPV6_HEADER_LENGTH,
  REBUILT_HOP_LIMIT,
} from './codec/ipv6-compression.js';
export type { MulticastAnnouncement } from './codec/multicast.js';
export {
  decodeMulticast,
  encodeMulticast,
  isAcceptableMulticastSource,
  MULTICAST_GROUP_V4,
  MULTICAST_GROUP_V6,
  MULTICAST_GROUPS,
  MULTICAST_LENGTH,
  MULTICAST_PORT,
} from './codec/multicast.js';
export type {
  InfoMessage,
  NatInitMessage,
  NatInitTransientMessage,
  NatOkConfirmMessage,
  PeerToBaseBody,
  PeerToBaseDataMessage,
  PeerToBaseKindName,
  PeerToBaseMessage,
  RequestInfoMessage,
  SignedPeerToBaseMessage,
  UserAgentMessage,
} from './codec/peer-to-base.js';
export {
  decodePeerToBase,
  encodePeerToBase,
  isSignedPeerToBase,
  PEER_TO_BASE_SIZES,
  PeerToBaseKind,
  sealPeerToBase,
  signPeerToBase,
  verifyPeerToBase,
} from './codec/peer-to-base.js';
export type { PeerDataMessage, PeerHelloMessage, PeerToPeerMessage } from './codec/peer-to-peer.js';
export {
  decodePeerToPeer,
  encodePeerToPeer,
  HELLO_COOKIE_LENGTH,
  PEER_HELLO_LENGTH,
  PEER_HELLO_SIGNED_LENGTH,
  PeerToPeerKind,
  signPeerHello,
  verifyPeerHello,
} from './codec/peer-to-peer.js';
export type { Ed25519Verify } from './codec/signature.js';
export {
  nobleEd25519Verify,
  SIGNATURE_LENGTH,
  SignatureContext,
  signWithContext,
  verifyWithContext,
} from './codec/signature.js';
export type { SignedHeader } from './codec/signed-header.js';
export { COOKIE_LENGTH, SIGNED_HEADER_LENGTH } from './codec/signed-header.js';
export type { NatbaseErrorCode } from './errors.js';
export { NatbaseError } from './errors.js';
// The base server (§7) and the host agent (§8): sans-I/O state machines, with their limits.
export * from './host/index.js';
export { BOOT_ID_MASK, freshHelloseq } from './secure/channel.js';
export { openData, sealData } from './secure/data.js';
export { applyFlags, DEFAULT_SECURE_FLAGS, mixFlags, SecureFlag } from './secure/flags.js';
export type { KxKeyPair, SessionKeys } from './secure/kx.js';
export {
  deriveSessionKeys,
  KX_KEY_LENGTH,
  kxClientSessionKeys,
  kxKeyPair,
  kxRole,
  kxServerSessionKeys,
} from './secure/kx.js';
export type { SecureLayerOptions, SecureOutput, SecurePeerState } from './secure/layer.js';
export { SecureLayer } from './secure/layer.js';
export type { SecureLimits } from './secure/limits.js';
export { DEFAULT_SECURE_LIMITS, resolveSecureLimits } from './secure/limits.js';
export type { SecretboxBackend } from './secure/secretbox-backend.js';
export { nobleSecretbox } from './secure/secretbox-backend.js';
export type { Heartbeat, SecureData, SecureHello, SecurePacket } from './secure/secure-packet.js';
export {
  decodeSecurePacket,
  encodeSecurePacket,
  HEARTBEAT_LENGTH,
  MAC_LENGTH,
  NONCE_LENGTH,
  SECURE_DATA_OVERHEAD,
  SECURE_HELLO_LENGTH,
  SECURE_HELLO_SIGNED_LENGTH,
  SecureType,
  signSecureHello,
  verifySecureHello,
} from './secure/secure-packet.js';
export * from './server/index.js';
