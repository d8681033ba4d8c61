// Node-only parts of natbase. The base server's and host agent's sockets are not written yet.
export { DEFAULT_ED25519_KEY_CACHE, opensslEd25519Verify } from './openssl-ed25519.js';
export { DEFAULT_RANDOM_POOL_SIZE, pooledRandom } from './pooled-random.js';
export { sodiumSecretbox } from './sodium-secretbox.js';
