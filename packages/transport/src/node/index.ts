export * from '../index.js';
export type { Framing } from './framing.js';
export { lengthPrefixed, tlsRecords } from './framing.js';
export { DEFAULT_MAX_DATAGRAM, DEFAULT_MAX_LINKS } from './limits.js';
export type {
  ConnectTcpOptions,
  ListenTcpOptions,
  TcpLinkOptions,
  TcpServerHandle,
} from './tcp.js';
export { connectTcp, listenTcp } from './tcp.js';
export type { BindUdpOptions, UdpEndpoint } from './udp.js';
export { bindUdp } from './udp.js';
export type { RequestHandler, WebServer, WebServerOptions } from './web-server.js';
export { createWebServer, DEFAULT_HEADERS_TIMEOUT_MS, listenWebServer } from './web-server.js';
export type { ConnectWebSocketOptions } from './websocket-client.js';
export { connectWebSocket } from './websocket-client.js';
export type {
  Refusal,
  WebSocketServerHandle,
  WebSocketServerOptions,
} from './websocket-server.js';
export { attachWebSocketServer } from './websocket-server.js';
