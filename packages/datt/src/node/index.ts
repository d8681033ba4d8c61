export { dmsgFraming } from './framing.js';
export { nodeSha256, nodeSha256d } from './hash.js';
export { LevelContentStore } from './level-store.js';
export { DattNode, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_UNSENT_BYTES } from './node.js';
export type { PostOptions, PostResult, StartDattNodeOptions, Wallet } from './options.js';
export { nodeCompact } from './secp256k1.js';
export { startDattNode } from './start.js';
