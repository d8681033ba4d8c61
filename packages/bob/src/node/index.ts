// BobError again here: a Node app can catch it without loading the whole core entry.
export { BobError, type BobErrorCode } from '../errors.js';
export {
  type Address,
  DEFAULT_READ_BUFFER_BYTES,
  DEFAULT_READ_QUEUE_BYTES,
  parseAddress,
} from './connection.js';
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
export { DEFAULT_SPARE_BATCHES } from './record-batcher.js';
export {
  type BobRelayOptions,
  type BobRelayServerStats,
  DEFAULT_CLOSE_GRACE_MS,
  MAX_TICK_INTERVAL_MS,
  MIN_TICK_INTERVAL_MS,
  type RunningBobRelay,
  startBobRelay,
  tickIntervalFor,
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
export { DEFAULT_STORED_BLOCKS_PER_PIECE } from './stored-file.js';
