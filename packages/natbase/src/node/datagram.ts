import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { TransportError } from '@peerwire/transport';

export interface BoundDatagram {
  readonly socket: Socket;
  readonly family: 'udp4' | 'udp6';
  readonly address: string;
  readonly port: number;
}

/**
 * Binds a node:dgram socket; rejects with a `TransportError` `LISTEN_FAILED` (the OS error as
 * `cause`). `reuseAddr` is for the multicast discovery port, which several programs share;
 * `ipv6Only` binds an IPv6 socket beside an IPv4 one on the same port.
 */
export function bindDatagram(
  host: string,
  port: number,
  options: { readonly reuseAddr?: boolean; readonly ipv6Only?: boolean } = {},
): Promise<BoundDatagram> {
  const family = isIPv6(host) ? 'udp6' : 'udp4';
  return new Promise((resolve, reject) => {
    const socket = createSocket({
      type: family,
      reuseAddr: options.reuseAddr ?? false,
      ipv6Only: options.ipv6Only ?? false,
    });
    const onError = (error: Error): void => {
      socket.close();
      reject(
        new TransportError('LISTEN_FAILED', `cannot bind UDP ${host}:${port}: ${error.message}`, {
          cause: error,
        }),
      );
    };
    socket.once('error', onError);
    socket.bind({ address: host, port, exclusive: !(options.reuseAddr ?? false) }, () => {
      socket.off('error', onError);
      const a = socket.address();
      resolve({ socket, family, address: a.address, port: a.port });
    });
  });
}

/** Closes a dgram socket, resolving once it is closed (or was already). */
export function closeDatagram(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
