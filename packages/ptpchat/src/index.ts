export type { UdpAddress } from './address.js';
export { formatAddress, isFullAddress, isIPv4, isIPv6, parseAddress } from './address.js';
export { fromBase64, toBase64 } from './base64.js';
export { NODE_ID_META_KEY } from './certificates.js';
export type { OutgoingAttachment } from './chat.js';
export { encodeFrame, KEEPALIVE_FRAME, PtpchatFramer } from './codec/framing.js';
export type { Envelope, MessageOf, OutgoingMessage, PtpchatMessage } from './codec/message.js';
export { decodeMessage, encodeMessage, messageJson, parseMessage } from './codec/message.js';
export type {
  AckData,
  AttachmentData,
  CertificateData,
  ChannelData,
  ConnectData,
  GetCertificateData,
  GetKeyData,
  HelloData,
  JoinData,
  KeyData,
  LeaveData,
  MessageData,
  NackData,
  RoutingData,
  RoutingEntry,
  Verb,
  VerbData,
} from './codec/verbs.js';
export { ACKED_VERBS, HOP_LOCAL_VERBS, RETRANSMITTED_VERBS, VERBS } from './codec/verbs.js';
export {
  CHANNEL_CIPHER,
  CHANNEL_KEY_LENGTH,
  decryptForChannel,
  encryptForChannel,
} from './content.js';
export { PtpchatNode } from './engine.js';
export type { PtpchatErrorCode } from './errors.js';
export { PtpchatError } from './errors.js';
export { PTPCHAT_VERSION } from './forwarder.js';
export { createIdentity } from './identity.js';
export type { PtpchatLimits } from './limits.js';
export { DEFAULT_LIMITS, resolveLimits } from './limits.js';
export type { NodeId, ParsedNodeId } from './node-id.js';
export {
  createNodeId,
  guidOf,
  isGuid,
  normalizeNodeId,
  parseNodeId,
  randomGuid,
} from './node-id.js';
export type {
  Attachment,
  CertificateEvent,
  ChannelEvent,
  ChannelInfo,
  CloseAction,
  ConnectEvent,
  DatagramAction,
  DeliveryFailedEvent,
  DropEvent,
  DropReason,
  KeyEvent,
  KeyRequestEvent,
  MemberEvent,
  MessageEvent,
  NeighbourDownEvent,
  NeighbourInfo,
  NeighbourUpEvent,
  PeerHandle,
  PeerInfo,
  PtpchatAction,
  PtpchatCounters,
  PtpchatEvent,
  PtpchatIdentity,
  PtpchatNodeOptions,
  PtpchatOutput,
  RouteInfo,
  SavedClosedChannel,
  SendAction,
  TimerAction,
} from './types.js';
