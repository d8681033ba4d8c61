import type { CryptoBackend, IDCard, Keychain, PrivateKey } from '@peerwire/crypto';
import type { OutgoingMessage, PtpchatMessage } from './codec/message.js';
import type { PtpchatLimits } from './limits.js';
import type { NodeId } from './node-id.js';

/**
 * A link to a neighbour as the I/O layer names it: any string unique among open links (a
 * connection id). The engine never parses it.
 */
export type PeerHandle = string;

/** What the I/O layer knows about a new link. */
export interface PeerInfo {
  /** `'tcp'`: a framed stream (§1.1). `'udp'`: datagrams to and from `remoteAddress` (§1.2). */
  readonly transport: 'tcp' | 'udp';
  /** The remote `ip:port` the socket sees (`[ip6]:port` for IPv6), when known: CONNECT uses it. */
  readonly remoteAddress?: string;
  /** True when this side dialled. */
  readonly outbound?: boolean;
}

/** This node's identity: the key that signs, the keychain that decrypts, and its signed ID card. */
export interface PtpchatIdentity {
  /** A sign key of `card`. */
  readonly signer: PrivateKey;
  /** Keys for opening bottles encrypted to `card` (closed-channel keys). */
  readonly keychain: Keychain;
  /** The card, as built; the certificate is its signed blob. */
  readonly card: IDCard;
  /** `card.sign(signer)`: the bytes sent, base64, as the certificate (§7.1). */
  readonly certificate: Uint8Array;
}

export interface PtpchatNodeOptions {
  /** `name@GUID` (spec §2.3). Keep the GUID across restarts. */
  readonly nodeId: NodeId;
  readonly identity: PtpchatIdentity;
  /** Random bytes (msg_ids, channel ids, channel keys): a CSPRNG in production, seeded in tests. */
  readonly random: (length: number) => Uint8Array;
  /** Receives every action and event, synchronously, in order. */
  readonly output: (output: PtpchatOutput) => void;
  /** HELLO `attributes.node_type` (§8.1); default `'client'`. */
  readonly nodeType?: 'client' | 'server';
  /** HELLO `version` (§8.1); default this package's name and version. */
  readonly version?: string;
  /** This node's UDP port, advertised in HELLO `attributes.udp_port` (a peerwire extension). */
  readonly udpPort?: number;
  /** Timers and limits (spec §10); unset fields keep `DEFAULT_LIMITS`. */
  readonly limits?: Partial<PtpchatLimits>;
  /** Certificates pinned earlier (from `certificatePins()`), so pins persist across restarts. */
  readonly pins?: Iterable<readonly [guid: string, certificate: Uint8Array]>;
  /**
   * Closed channels held earlier (from `closedChannels()`): their key, name and members, so a
   * restarted node still reads them. Bad entries are dropped (counted as `malformed`).
   */
  readonly closedChannels?: Iterable<SavedClosedChannel>;
  /** Crypto backend (default `fastBackend`). */
  readonly backend?: CryptoBackend;
}

// ---------------------------------------------------------------- actions (for the I/O layer)

/** Send one message on a link. `bytes` is already framed (§1.1) for a TCP link, one datagram's JSON for a UDP one. */
export interface SendAction {
  readonly type: 'send';
  readonly peer: PeerHandle;
  readonly message: OutgoingMessage;
  readonly bytes: Uint8Array;
}

/** Send one datagram from this node's UDP socket (CONNECT stage 5, punch probes, punched paths). */
export interface DatagramAction {
  readonly type: 'datagram';
  /** `ip:port` or `[ip6]:port`. */
  readonly address: string;
  readonly message: OutgoingMessage;
  readonly bytes: Uint8Array;
}

/** Close a link (a frame too large, a dead neighbour, a node id that changed, ...). */
export interface CloseAction {
  readonly type: 'close';
  readonly peer: PeerHandle;
  readonly reason: DropReason;
}

/** Call `timer(now)` at or after `at` (ms, the clock of the `now` arguments). Replaces earlier requests. */
export interface TimerAction {
  readonly type: 'timer';
  readonly at: number;
}

export type PtpchatAction = SendAction | DatagramAction | CloseAction | TimerAction;

// ---------------------------------------------------------------- events (for the application)

/** Why the engine dropped something; counted in `counters.drops`. */
export type DropReason =
  | 'malformed'
  | 'frame-too-large'
  | 'unknown-verb'
  | 'duplicate'
  | 'rate-limited'
  | 'ttl-expired'
  | 'no-route'
  | 'not-neighbour'
  | 'bad-signature'
  | 'bad-certificate'
  | 'guid-impostor'
  | 'unknown-sender'
  | 'held-overflow'
  | 'not-member'
  | 'no-key'
  | 'decrypt-failed'
  | 'attachment-too-large'
  | 'connect-rejected'
  | 'connect-rate-limited'
  | 'limit'
  | 'dead';

export interface NeighbourUpEvent {
  readonly type: 'neighbour-up';
  readonly peer: PeerHandle;
  readonly nodeId: NodeId;
  readonly nodeType?: 'client' | 'server';
}
export interface NeighbourDownEvent {
  readonly type: 'neighbour-down';
  readonly peer: PeerHandle;
  readonly nodeId: NodeId;
  readonly reason: 'dead' | 'disconnected';
}
export interface ChannelEvent {
  readonly type: 'channel';
  readonly channel: ChannelInfo;
}
export interface MemberEvent {
  readonly type: 'member-joined' | 'member-left';
  readonly channelId: string;
  readonly nodeId: NodeId;
}
export interface Attachment {
  /** MIME type (§8.11). */
  readonly type: string;
  readonly data: Uint8Array;
}
/** A MESSAGE whose signature checked out (and, in a closed channel, that decrypted). */
export interface MessageEvent {
  readonly type: 'message';
  readonly msgId: string;
  readonly from: NodeId;
  readonly channelId: string;
  readonly channel: string;
  readonly text: string;
  readonly timestamp: string;
  readonly attachments: readonly Attachment[];
  readonly closed: boolean;
}
/** A closed channel's key arrived and checked out. */
export interface KeyEvent {
  readonly type: 'key';
  readonly channelId: string;
  readonly from: NodeId;
}
/** A node asked for the key of a closed channel this node is in; answer with `invite`. */
export interface KeyRequestEvent {
  readonly type: 'key-request';
  readonly channelId: string;
  readonly from: NodeId;
}
/** A certificate was pinned for a node (first seen, or replaced by a newer card with the same key). */
export interface CertificateEvent {
  readonly type: 'certificate';
  readonly nodeId: NodeId;
}
/** A message this node originated was not ACKed after every retransmission, or was NACKed. */
export interface DeliveryFailedEvent {
  readonly type: 'delivery-failed';
  readonly msgId: string;
  readonly target: NodeId | null;
  readonly reason: 'no-ack' | 'ttl_expired' | 'no_route' | string;
}
/** A CONNECT (§9) made progress or ended. */
export interface ConnectEvent {
  readonly type: 'connect';
  readonly role: 'initiator' | 'responder' | 'rendezvous';
  readonly peer: NodeId;
  readonly state: 'started' | 'punching' | 'direct' | 'failed';
  /** The other side's UDP address, once known. */
  readonly address?: string;
  readonly reason?: string;
}
export interface DropEvent {
  readonly type: 'drop';
  readonly reason: DropReason;
  readonly peer?: PeerHandle;
  readonly detail?: string;
}

export type PtpchatEvent =
  | NeighbourUpEvent
  | NeighbourDownEvent
  | ChannelEvent
  | MemberEvent
  | MessageEvent
  | KeyEvent
  | KeyRequestEvent
  | CertificateEvent
  | DeliveryFailedEvent
  | ConnectEvent
  | DropEvent;

export type PtpchatOutput = PtpchatAction | PtpchatEvent;

// ---------------------------------------------------------------- views

export interface ChannelInfo {
  readonly channelId: string;
  readonly name: string;
  readonly closed: boolean;
  readonly members: readonly NodeId[];
  /** This node is a member. */
  readonly joined: boolean;
  /** Closed channel: this node holds the key. */
  readonly hasKey: boolean;
}

export interface NeighbourInfo {
  readonly peer: PeerHandle;
  readonly nodeId: NodeId;
  readonly transport: 'tcp' | 'udp';
  readonly nodeType?: 'client' | 'server';
  readonly remoteAddress?: string;
  /** The neighbour's UDP port from its HELLO, if it advertised one. */
  readonly udpPort?: number;
  readonly lastHeard: number;
  /** A punched UDP path (§9) rather than a link the I/O layer opened. */
  readonly direct: boolean;
}

export interface RouteInfo {
  readonly nodeId: NodeId;
  readonly nextHop: NodeId;
  readonly distance: number;
}

/** Counters for metrics (prom-client in the apps). */
export interface PtpchatCounters {
  received: number;
  sent: number;
  floodsOriginated: number;
  floodsForwarded: number;
  duplicatesDropped: number;
  retransmissions: number;
  nacksSent: number;
  deliveryFailures: number;
  connectAttempts: number;
  connectSuccesses: number;
  connectFailures: number;
  messagesDelivered: number;
  readonly drops: Record<DropReason, number>;
}

export type { PtpchatMessage };

/** A closed channel whose key this node holds, as `closedChannels()` gives it for saving. */
export interface SavedClosedChannel {
  readonly channelId: string;
  readonly name: string;
  /** The channel key (32 bytes). */
  readonly key: Uint8Array;
  readonly members: readonly NodeId[];
  readonly joined: boolean;
}
