import { DattNode } from './node.js';
import type { StartDattNodeOptions } from './options.js';

/**
 * Starts a Datt node: a LevelDB content store in `dataDir`, TCP and/or WebSocket listeners
 * (`@peerwire/transport`: DMsg-framed TCP, one DMsg per binary WebSocket message), and the
 * sans-I/O engine driven by them, with `node:crypto` hashing the DMsg checksums.
 */
export function startDattNode(options: StartDattNodeOptions): Promise<DattNode> {
  return DattNode.start(options);
}
