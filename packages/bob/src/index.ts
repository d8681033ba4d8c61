export { BobClient, type ClientOptions } from './client.js';
export {
  type CompressionProbeOptions,
  compressionPays,
  DEFAULT_MIN_COMPRESSION_SAVING,
  DEFAULT_PROBE_SAMPLE_BYTES,
  PROBE_PLACES,
  probeRanges,
} from './compression-decision.js';
export { BobError, type BobErrorCode, SpokeError, SpokeFailure } from './errors.js';
export {
  DEFAULT_MAX_FOLDER_DEPTH,
  DEFAULT_MAX_FOLDER_ENTRIES,
  type FolderPlan,
  type FolderPlanLimits,
  planFolder,
  type ReceivedObject,
} from './folder-plan.js';
export {
  type BaseType,
  decodeRoot,
  decodeTree,
  encodeRoot,
  encodeTree,
  type FolderRoot,
  ID_LENGTH,
  idHex,
  ObjectType,
  objectId,
  type TreeEntry,
} from './git-object.js';
export { noblePrimitives } from './noble-primitives.js';
export {
  DEFAULT_MAX_DELTA_SIZE,
  DEFAULT_MAX_OBJECT_SIZE,
  DEFAULT_MAX_OBJECTS,
  type PackEvent,
  PackReader,
  type PackReaderLimits,
  type PackReaderOptions,
} from './pack-reader.js';
export {
  type FolderDir,
  type FolderFile,
  type MemoryFolder,
  PACK_HEADER_LENGTH,
  PACK_SIGNATURE,
  PACK_TRAILER_LENGTH,
  type PackOptions,
  PackWriter,
  type PlannedObject,
  packFolder,
  packSingleFile,
  planFolderPack,
} from './pack-writer.js';
export {
  BobPacketType,
  type BobPacketTypeCode,
  DEFAULT_MAX_IDENTITY_LENGTH,
  decodeFrame,
  encodeFrame,
  type Frame,
  type Packet,
  PacketDecoder,
  type PacketLimits,
  type PacketName,
  POINT_LENGTH,
  PUBLIC_LENGTH,
  packetTypeOf,
  type RelayFailure,
  VALIDATOR_LENGTH,
} from './packet.js';
export {
  DEFAULT_SYLLABLES_PER_PART,
  generatePassword,
  type PasswordOptions,
  passwordEntropyBits,
} from './password.js';
export { type Payload, readPayload } from './payload.js';
export {
  DEFAULT_MAX_NAME_BYTES,
  type PayloadEvent,
  PayloadReader,
  type PayloadReaderOptions,
} from './payload-reader.js';
export { DEFAULT_MAX_CANDIDATES, type HandshakeResult, type PeerEvent } from './peer.js';
export type {
  Aead,
  AeadFactory,
  HashFactory,
  IncrementalHash,
  Primitives,
} from './primitives.js';
export {
  CLOSE_RECORD,
  type DirectionKey,
  MAX_RECORD_PAYLOAD,
  type OpenerOptions,
  type RecordEvent,
  RecordOpener,
  RecordSealer,
  type Role,
  recordAad,
  recordKeys,
  recordNonce,
  TAG_LENGTH,
} from './record.js';
export {
  BobRelay,
  type BobRelayEvent,
  type BobRelayLimits,
  type BobRelayStats,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_LIFETIME_MS,
  DEFAULT_MAX_PEERS,
  DEFAULT_MAX_PEERS_PER_ADDRESS,
  DEFAULT_REGISTER_TIMEOUT_MS,
  type PeerKind,
} from './relay.js';
export { checkEntryName, MAX_NAME_LENGTH, safeBasename } from './safe-path.js';
export {
  type ConnectionId,
  DEFAULT_MAX_PENDING_PAIRS,
  DEFAULT_SECURE_IDENTIFY_TIMEOUT_MS,
  DEFAULT_SECURE_PAIR_TIMEOUT_MS,
  normalizeAddress,
  type RelayAction,
  SECURE_LINE_LIMIT,
  SECURE_PAIRED,
  SECURE_REFUSED,
  SECURE_TIMEOUT,
  SecureRoom,
  type SecureRoomEvent,
  type SecureRoomLimits,
} from './secure-room.js';
export { BobServer, type ServerOptions } from './server.js';
export {
  type ClientHandshake,
  clientCompute,
  clientHello,
  decodeSecret,
  deriveKeys,
  encodeSecret,
  type GenerateOptions,
  generateSecret,
  type Identities,
  type RandomSource,
  type ScalarSource,
  SECRET_LENGTH,
  type ServerHandshake,
  type SharedKeys,
  type SpokeKeys,
  type SpokeSecret,
  serverCompute,
  serverFinalize,
} from './spoke.js';
export {
  BOB_PBKDF2_ITERATIONS,
  DEFAULT_MAX_PBKDF2_ITERATIONS,
  decodePublic,
  encodePublic,
  HASH_SHA256,
  KDF_PBKDF2,
  type PublicLimits,
  SPOKE_VERSION,
  SpokeCipher,
  type SpokePublic,
} from './spoke-public.js';
export { BOB_ZLIB_LEVEL, bobZlibLevel } from './zlib.js';
