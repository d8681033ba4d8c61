/** Default `maxLinks` of a WebSocket server, TCP server or UDP endpoint. */
export const DEFAULT_MAX_LINKS = 50_000;
/** Default `maxDatagram`: the largest UDP payload IPv4 can carry (65535 − 8 − 20). */
export const DEFAULT_MAX_DATAGRAM = 65_507;
