export { dmsgFraming } from './framing.js';
export { nodeSha256, nodeSha256d } from './hash.js';
export { LevelContentStore } from './level-store.js';
export { nodeCompact } from './secp256k1.js';
export type { DattNode, PostOptions, PostResult, StartDattNodeOptions, Wallet } from './start.js';
export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_UNSENT_BYTES, startDattNode } from './start.js';
