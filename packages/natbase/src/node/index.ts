// Node-only parts of natbase. The base server's and host agent's sockets are not written yet.
export { DEFAULT_RANDOM_POOL_SIZE, pooledRandom } from './pooled-random.js';
export { sodiumSecretbox } from './sodium-secretbox.js';
