export type { NatbaseErrorCode } from './errors.js';
export { NatbaseError } from './errors.js';
