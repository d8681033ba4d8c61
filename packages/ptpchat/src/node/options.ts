import type { TransportError } from '@peerwire/transport';
import { PtpchatError } from '../errors.js';
import type { PeerHandle, PtpchatNodeOptions, PtpchatOutput } from '../types.js';

/** The adapter's own limits (the engine's are `PtpchatLimits`). Sizes in bytes, times in ms. */
export interface PtpchatNodeIoLimits {
  /**
   * A TCP link with this many bytes queued (not yet taken by the kernel) is congested: further
   * messages to it are dropped, not queued (`writeDrops`), until it drains to a quarter of this.
   * ACKed verbs are retransmitted by the engine later; the others (HELLO, ROUTING, CHANNEL) are
   * sent again periodically anyway. Default 256 KiB.
   */
  readonly writeQueueHighBytes: number;
  /** A link that stays congested this long is not reading: it is closed. Default 10 s. */
  readonly writeStallTimeoutMs: number;
  /**
   * Hard cap on the bytes queued for one TCP link; the send that would take it past this closes
   * the link at once (`link` event `closed`, reason `send buffer overflow`). Default 1 MiB.
   */
  readonly maxWriteQueueBytes: number;
  /** TCP links open at once, accepted and dialled; further connections are closed at once. Default 2048. */
  readonly maxTcpLinks: number;
  /** A `dial` not connected within this time fails with `DIAL_FAILED`. Default 10 s. */
  readonly dialTimeoutMs: number;
  /** Remote UDP addresses tracked at once; datagrams from further new ones are dropped. Default 4096. */
  readonly maxUdpRemotes: number;
  /** A remote UDP address with no datagram either way for this long is forgotten. Default 60 s. */
  readonly udpRemoteIdleMs: number;
  /** Largest datagram sent or accepted. Default 65,507 (the IPv4 maximum). */
  readonly maxDatagramBytes: number;
}

export const DEFAULT_IO_LIMITS: PtpchatNodeIoLimits = Object.freeze({
  writeQueueHighBytes: 256 << 10,
  writeStallTimeoutMs: 10_000,
  maxWriteQueueBytes: 1 << 20,
  maxTcpLinks: 2048,
  dialTimeoutMs: 10_000,
  maxUdpRemotes: 4096,
  udpRemoteIdleMs: 60_000,
  maxDatagramBytes: 65_507,
});

/** What the adapter tells about its links (for logs and metrics); the engine's events come via `onOutput`. */
export type PtpchatLinkEvent =
  | {
      readonly type: 'open';
      readonly peer: PeerHandle;
      /** `ip:port` / `[ip6]:port` of the other end. */
      readonly remoteAddress?: string;
      readonly outbound: boolean;
    }
  | {
      readonly type: 'closed';
      readonly peer: PeerHandle;
      /** The transport's close code: 1000 clean, 1001 shutdown, 1006 lost, 1008 policy (write queue overflow, or the engine closed it). */
      readonly code: number;
      readonly reason: string;
      /** True when this side closed it (a limit, the engine, `close()`). */
      readonly local: boolean;
    }
  | {
      readonly type: 'error';
      /** The link it concerns; absent for the listener and the UDP socket. */
      readonly peer?: PeerHandle;
      readonly error: TransportError | Error;
    };

export interface StartPtpchatNodeOptions
  extends Omit<PtpchatNodeOptions, 'output' | 'random' | 'udpPort'> {
  /**
   * The TCP listener. `port` 0 (the default) picks a free port (see `tcpPort`); `host` defaults to
   * every interface. Omitted or `false`: no listener (the node only dials).
   */
  readonly listen?: { readonly host?: string; readonly port?: number } | false;
  /**
   * The UDP socket for CONNECT rendezvous and punched paths (§9). Omitted: bound on a free port,
   * dual-stack `::` (IPv4 and IPv6; `0.0.0.0` where IPv6 is off). An IPv4 `host` binds IPv4
   * only, an IPv6 one IPv6 only (dual-stack for `::`). `false`: no UDP (no hole punching).
   */
  readonly udp?: { readonly host?: string; readonly port?: number } | false;
  /** Every engine output (events and the actions the adapter carried out), in order. */
  readonly onOutput?: (output: PtpchatOutput) => void;
  /** Link opens, closes and transport errors. */
  readonly onLink?: (event: PtpchatLinkEvent) => void;
  /** The adapter's limits; unset fields keep `DEFAULT_IO_LIMITS`. */
  readonly io?: Partial<PtpchatNodeIoLimits>;
  /** Random bytes; default `crypto.randomBytes` (drawn 4 KiB at a time). Override only to make tests reproducible. */
  readonly random?: (length: number) => Uint8Array;
}

function int(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PtpchatError(
      'BAD_OPTION',
      `io.${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/** The defaults overridden by `partial`, checked (`BAD_OPTION`). */
export function resolveIoLimits(partial: Partial<PtpchatNodeIoLimits> = {}): PtpchatNodeIoLimits {
  const l = { ...DEFAULT_IO_LIMITS, ...partial };
  const high = int('writeQueueHighBytes', l.writeQueueHighBytes, 4096, 2 ** 31);
  return Object.freeze({
    writeQueueHighBytes: high,
    writeStallTimeoutMs: int('writeStallTimeoutMs', l.writeStallTimeoutMs, 100, 2 ** 31 - 1),
    maxWriteQueueBytes: int('maxWriteQueueBytes', l.maxWriteQueueBytes, high, 2 ** 31),
    maxTcpLinks: int('maxTcpLinks', l.maxTcpLinks, 1, 1_000_000),
    dialTimeoutMs: int('dialTimeoutMs', l.dialTimeoutMs, 1, 2 ** 31 - 1),
    maxUdpRemotes: int('maxUdpRemotes', l.maxUdpRemotes, 1, 1_000_000),
    udpRemoteIdleMs: int('udpRemoteIdleMs', l.udpRemoteIdleMs, 1000, 2 ** 31 - 1),
    maxDatagramBytes: int('maxDatagramBytes', l.maxDatagramBytes, 512, 65_535),
  });
}
