// `@peerwire/ptpchat/node`: the engine on real sockets (`@peerwire/transport`), the wall clock
// and `crypto.randomBytes`.

export type { StoredNodeId, StoredPins } from './identity-files.js';
export {
  loadOrCreateNodeId,
  readPinsFile,
  writeFileAtomic,
  writePinsFile,
} from './identity-files.js';
export type { PtpchatLinkEvent, PtpchatNodeIoLimits, StartPtpchatNodeOptions } from './options.js';
export { DEFAULT_IO_LIMITS, resolveIoLimits } from './options.js';
export type { RunningPtpchatNode } from './running-node.js';
export { startPtpchatNode } from './running-node.js';
export { ptpchatStream } from './stream-framing.js';
