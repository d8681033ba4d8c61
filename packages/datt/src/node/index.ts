export { LevelContentStore } from './level-store.js';
export type { DattNode, PostOptions, PostResult, StartDattNodeOptions, Wallet } from './start.js';
export { startDattNode } from './start.js';
export type { Link, LinkOptions, Listener } from './transport.js';
export { DEFAULT_MAX_WRITE_BUFFER, dialTcp, dialWs, listenTcp, listenWs } from './transport.js';
