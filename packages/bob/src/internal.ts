/**
 * `@peerwire/bob/internal`: building blocks of the core that the root entry does not export,
 * reachable for tests, tools and interop experiments. No stability promise: these follow the
 * implementation, not the protocol's public surface.
 */
export { applyDelta, deltaSizes } from './delta.js';
export { fromUniform } from './from-uniform.js';
export { objectHeader } from './git-object.js';
export { encodeObjectHeader } from './pack-writer.js';
export { spokePbkdf2 } from './pbkdf2.js';
export { constantTimeEqual, randomScalar } from './spoke.js';
export {
  INFLATE_BLOCK,
  type InflateStep,
  ZlibDeflater,
  ZlibInflater,
  zlibDeflate,
} from './zlib.js';
