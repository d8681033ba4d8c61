export { type Address, parseAddress } from './connection.js';
export { type DiskFile, hashBlob, type ScannedFolder, scanFolder } from './folder.js';
export { DEFAULT_WRONG_PASSWORD_GRACE_MS, type HandshakeNotice } from './handshake.js';
export { nodePrimitives, nodeRandom } from './primitives.js';
export type { Progress } from './progress.js';
export {
  DEFAULT_MAX_DELTA_BASE,
  DEFAULT_MAX_TREE_BYTES,
  type ReceiveEvent,
  type ReceiveLimits,
  type ReceiveOptions,
  type ReceiveResult,
  receive,
} from './receive.js';
export {
  type BobRelayOptions,
  type BobRelayStats,
  DEFAULT_CLOSE_GRACE_MS,
  type RunningBobRelay,
  startBobRelay,
} from './relay.js';
export {
  DEFAULT_FINISH_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_PORT,
  DEFAULT_SECURE_PORT,
  type SendEvent,
  type SendOptions,
  type SendResult,
  sendPath,
  type TransferOptions,
} from './send.js';
