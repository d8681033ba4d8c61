// Node-only parts of natbase: the base server and host agent on real sockets, and fast crypto.
export type { BaseServerHandle, ListenBaseServerOptions } from './base-server-node.js';
export {
  DEFAULT_BASE_TCP_PORT,
  DEFAULT_BASE_UDP_PORT,
  listenBaseServer,
} from './base-server-node.js';
export type { MulticastOption } from './discovery-sockets.js';
export type { HostDatagram, HostPeerState, StartHostOptions } from './host-agent-node.js';
export {
  DEFAULT_BASE_CONNECT_TIMEOUT_MS,
  DEFAULT_PING_INTERVAL_MS,
  MAX_SECURE_DATAGRAM,
  NatbaseHost,
} from './host-agent-node.js';
export {
  DEFAULT_MAX_LINK_LOCAL_SCOPES,
  isLinkLocal,
  LinkLocalScopes,
  linkLocalInterfaces,
} from './link-local.js';
export { FIRST_SOURCE_PORT, interfaceAddresses, LAST_SOURCE_PORT } from './local-sockets.js';
export { DEFAULT_ED25519_KEY_CACHE, opensslEd25519Verify } from './openssl-ed25519.js';
export { DEFAULT_RANDOM_POOL_SIZE, pooledRandom } from './pooled-random.js';
export { rawStream } from './raw-stream.js';
export { sodiumSecretbox } from './sodium-secretbox.js';
