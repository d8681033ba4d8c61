import { TransportError } from '@peerwire/transport';
import { type Endpoint, formatIp } from '../codec/address.js';
import { MULTICAST_GROUP_V4, MULTICAST_PORT } from '../codec/multicast.js';
import { type BoundDatagram, bindDatagram, closeDatagram } from './datagram.js';
import { Ipv6Discovery } from './link-local.js';

/**
 * Link-local discovery (§10): `false` (default), `true` (both groups, the IPv4 one joined on the
 * first IPv4 address of `localAddresses`), or an object: `ipv4` / `ipv6` (default true each) pick
 * the groups, `interface` is the local IPv4 address the IPv4 group is joined on, `port` the
 * discovery port (default 5581). The IPv6 group is joined on every up, multicast-capable
 * interface with a link-local address.
 */
export type MulticastOption =
  | boolean
  | {
      readonly interface?: string;
      readonly port?: number;
      readonly ipv4?: boolean;
      readonly ipv6?: boolean;
    };

/** The sockets of link-local discovery beside the host's peer UDP socket. */
export interface DiscoverySockets {
  /** The IPv4 group's socket (224.3.252.148). */
  readonly v4?: BoundDatagram;
  /** The IPv6 group's socket (ff02:…, one membership per interface). */
  readonly v6?: Ipv6Discovery;
  /**
   * An IPv6-only peer socket on the same port as an IPv4 peer socket, through which HELLOs and
   * DATA to and from `fe80::` candidates go (absent when the peer socket is IPv6 itself).
   */
  readonly peer6?: BoundDatagram;
}

/**
 * Opens the discovery sockets of `option`. The IPv4 group's socket failing to bind or join
 * rejects (`LISTEN_FAILED`); the IPv6 sockets failing are reported through `onError` and leave
 * IPv6 discovery off (a host without IPv6 still runs).
 */
export async function openDiscovery(
  option: MulticastOption | undefined,
  local: readonly Endpoint[],
  udp: BoundDatagram,
  onError: (error: Error) => void,
): Promise<DiscoverySockets> {
  if (!option) return {};
  const o = typeof option === 'object' ? option : {};
  const port = o.port || MULTICAST_PORT;
  let v4: BoundDatagram | undefined;
  if (o.ipv4 !== false) {
    const iface = o.interface ?? local.map((e) => formatIp(e.ip)).find((a) => !a.includes(':'));
    try {
      v4 = await bindDatagram('0.0.0.0', port, { reuseAddr: true });
      v4.socket.addMembership(MULTICAST_GROUP_V4, iface);
      if (iface) v4.socket.setMulticastInterface(iface);
      v4.socket.setMulticastLoopback(false);
      v4.socket.setMulticastTTL(1);
    } catch (error) {
      if (v4) await closeDatagram(v4.socket);
      throw error instanceof TransportError
        ? error
        : new TransportError('LISTEN_FAILED', `multicast: ${String(error)}`, { cause: error });
    }
  }
  if (o.ipv6 === false) return { v4 };
  let peer6: BoundDatagram | undefined;
  let v6: Ipv6Discovery | undefined;
  try {
    if (udp.family === 'udp4') peer6 = await bindDatagram('::', udp.port, { ipv6Only: true });
    v6 = await Ipv6Discovery.open(port, onError);
  } catch (error) {
    if (peer6) await closeDatagram(peer6.socket);
    onError(error instanceof Error ? error : new Error(String(error)));
    return { v4 };
  }
  return { v4, v6, peer6 };
}

/** Closes what `openDiscovery` opened. */
export async function closeDiscovery(d: DiscoverySockets): Promise<void> {
  if (d.v4) await closeDatagram(d.v4.socket);
  if (d.peer6) await closeDatagram(d.peer6.socket);
  await d.v6?.close();
}
