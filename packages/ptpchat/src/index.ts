export type { PtpchatErrorCode } from './errors.js';
export { PtpchatError } from './errors.js';
