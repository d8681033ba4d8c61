/**
 * The two backends and the default. `fastBackend` is node:crypto in Node and WebCrypto in
 * browsers; `portableBackend` is @noble/* everywhere. Both pass the same vector suite.
 */
import type { CryptoBackend } from '../backend.js';
import { portableBackend } from './noble.js';
import { makeNodeBackend, nodeCrypto } from './node.js';
import { makeWebCryptoBackend } from './webcrypto.js';

/** WebCrypto as a backend, or undefined without `crypto.subtle` (e.g. an insecure browser context). */
export const webCryptoBackend: CryptoBackend | undefined =
  globalThis.crypto?.subtle === undefined
    ? undefined
    : makeWebCryptoBackend(globalThis.crypto.subtle);

/** The platform's crypto: node:crypto in Node, WebCrypto in browsers (portable as a last resort). */
export const fastBackend: CryptoBackend =
  nodeCrypto !== undefined ? makeNodeBackend(nodeCrypto) : (webCryptoBackend ?? portableBackend);

export { portableBackend };

/**
 * node:crypto with signature verification on libuv's thread pool (see `NodeBackendOptions`), for
 * servers that verify many signatures at once; undefined outside Node.
 */
export const nodeThreadPoolBackend: CryptoBackend | undefined =
  nodeCrypto !== undefined ? makeNodeBackend(nodeCrypto, { threadPool: true }) : undefined;

/** What every function uses when no `backend` option is given. */
export const defaultBackend: CryptoBackend = fastBackend;
