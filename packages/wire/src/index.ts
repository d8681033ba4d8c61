export {
  bytesEqual,
  compareBytes,
  concatBytes,
  fromBase64Url,
  fromHex,
  toBase64Url,
  toHex,
  utf8Decode,
  utf8Encode,
  utf8Length,
} from './bytes.js';
export type { CborEncodable, CborLimits, CborValue } from './cbor.js';
export {
  DEFAULT_CBOR_LIMITS,
  decodeCbor,
  encodeCanonicalCbor,
  encodeCbor,
  validateCbor,
} from './cbor.js';
export {
  cborArray,
  cborArrayOrNull,
  cborBool,
  cborBytes,
  cborBytesOrNull,
  cborFromTime,
  cborMap,
  cborMapOrNull,
  cborSafeUint,
  cborText,
  cborTextMapOrNull,
  cborTime,
  cborUint,
} from './cbor-shape.js';
export type { Clock } from './clock.js';
export { wallClock } from './clock.js';
export { CloseCode, MAX_CLOSE_REASON_BYTES, truncateReason } from './close-codes.js';
export { DeadlineQueue } from './deadline-queue.js';
export type { DecodeErrorCode, EncodeErrorCode } from './errors.js';
export { DecodeError, EncodeError, PeerwireError } from './errors.js';
export type { Framer } from './framers.js';
export {
  DEFAULT_MAX_FRAME_LENGTH,
  encodeLengthPrefixed,
  encodeTlsRecord,
  LengthPrefixFramer,
  MAX_TLS_RECORD_LENGTH,
  TLS_RECORD_HEADER,
  TlsRecordFramer,
} from './framers.js';
export type { DecodedHandshakeRequest, HandshakeRequest, HandshakeResponse } from './handshake.js';
export {
  decodeHandshakeRequest,
  decodeHandshakeResponse,
  encodeHandshakeRequest,
  encodeHandshakeRequestPayload,
  encodeHandshakeResponse,
} from './handshake.js';
export type {
  InstantMessage,
  InstantMessageInit,
  InstantMessageLimits,
} from './instant-message.js';
export {
  DEFAULT_MAX_BODY_LENGTH,
  decodeInstantMessage,
  encodeInstantMessage,
  hasFlag,
  MAX_NAME_LENGTH,
  MESSAGE_ID_LENGTH,
  MsgFlag,
  messageIdFromRandom,
  messageIdToUuid,
  uuidToMessageId,
} from './instant-message.js';
export { PacketType, packetHeader, readPacketType, SPOT_VERSION } from './packet.js';
export { decodePing, encodePing } from './ping.js';
export type { RandomSource } from './random.js';
export { cryptoRandom, randomFraction, randomSourceFromBytes } from './random.js';
export { ByteReader } from './reader.js';
export type { SpotPacket } from './spot-packet.js';
export { decodePacket } from './spot-packet.js';
export { StreamReader } from './stream-reader.js';
export { TokenBucket } from './token-bucket.js';
export type { Uvarint } from './varint.js';
export {
  encodeUvarint,
  MAX_UVARINT,
  MAX_UVARINT_BYTES,
  readUvarint,
  uvarintLength,
  writeUvarint,
} from './varint.js';
export { ByteWriter } from './writer.js';
