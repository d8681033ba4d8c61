/**
 * Every timer and limit of the node (spec §10), with its default. Times are milliseconds,
 * sizes bytes. Pass a partial object as `limits` to `PtpchatNode`; unset fields keep these.
 */
export interface PtpchatLimits {
  /** HELLO to every neighbour this often (spec §5: 2 s, allowed 0.5-2 s; clamped to that range). */
  readonly helloIntervalMs: number;
  /** A neighbour silent for this long is dead; its routes are withdrawn (spec §5: 15 s). */
  readonly deadAfterMs: number;
  /** Wait this long for an ACK before sending again (spec §4: 10 s). */
  readonly retransmitIntervalMs: number;
  /** Retransmissions of an un-ACKed MESSAGE, KEY or CERTIFICATE before failure (spec §4: 5). */
  readonly maxRetransmissions: number;
  /** TTL of messages this node originates (spec §2.1: 32). */
  readonly defaultTtl: number;
  /** Received TTLs above this are clamped to it before forwarding (peerwire: 32). */
  readonly maxTtl: number;
  /** How long a `msg_id` is remembered (spec §3.3: 120 s). */
  readonly duplicateWindowMs: number;
  /** Most `msg_id`s remembered; the oldest go first (spec §3.3: 65536). */
  readonly duplicateCacheSize: number;
  /** Largest TCP frame accepted or produced (spec §1.1: 99999). */
  readonly maxFrameLength: number;
  /** ROUTING to every neighbour at least this often (spec §6: 10 s). */
  readonly routingIntervalMs: number;
  /** A route not refreshed for this many routing periods expires (spec §6: 3). */
  readonly routeExpiryPeriods: number;
  /** Delay that batches routing-table changes into one ROUTING (peerwire: 200 ms). */
  readonly routingDebounceMs: number;
  /** Most routes kept; advertisements beyond it are ignored (peerwire: 16384). */
  readonly maxRoutes: number;
  /** Most entries read from one ROUTING message (peerwire: 4096). */
  readonly maxRoutingEntries: number;
  /** Most neighbours (peerwire: 1024); further HELLOs from new nodes are ignored. */
  readonly maxNeighbours: number;
  /** Fresh flooded/targeted messages accepted per neighbour per second, sustained (peerwire: 200). */
  readonly floodRatePerSecond: number;
  /** Burst allowance of that rate (peerwire: 400). */
  readonly floodBurst: number;
  /** Messages held while the sender's certificate is fetched (peerwire: 256 in all). */
  readonly maxHeldMessages: number;
  /** Messages held per unknown sender (peerwire: 16). */
  readonly maxHeldPerSender: number;
  /** A held message is dropped after this long (peerwire: 30 s). */
  readonly heldMessageTtlMs: number;
  /** Don't ask a node for its certificate again within this time (peerwire: 10 s). */
  readonly certificateRequestIntervalMs: number;
  /** Most certificates (pins) kept (peerwire: 16384). */
  readonly maxCertificates: number;
  /** Largest certificate (signed ID card) accepted, decoded bytes (peerwire: 16384). */
  readonly maxCertificateBytes: number;
  /** Largest text of one MESSAGE, UTF-8 bytes (peerwire: 16384). */
  readonly maxMessageTextBytes: number;
  /** Largest attachment, decoded bytes (peerwire: 65536; a frame is at most 99999 bytes). */
  readonly maxAttachmentBytes: number;
  /** Most attachments on one MESSAGE (peerwire: 4). */
  readonly maxAttachments: number;
  /** Most channels known (peerwire: 1024); CHANNELs for more are ignored. */
  readonly maxChannels: number;
  /** Most members of one channel (peerwire: 1024). */
  readonly maxChannelMembers: number;
  /**
   * Most public channels announced to a neighbour when it comes up (peerwire: 64): the
   * channels this node is in first, then the most recently heard of.
   */
  readonly maxChannelsAnnouncedToNeighbour: number;
  /**
   * Most reverse paths remembered (peerwire: 4096): for each originator, the neighbour its last
   * routed message came from, used as the next hop toward it while no route is known yet.
   */
  readonly maxReversePaths: number;
  /**
   * Most ROUTING entries a `server` node sends a leaf neighbour, one whose HELLO did not say
   * `node_type: 'server'` (peerwire: 256). While it knows more routes than that, a server sends
   * a leaf only that many, in the table after its HELLO and in the periodic full table, and no
   * debounced changes: every route to every neighbour would cost a hub N² entries per period.
   * A leaf reaches the rest through its default route (its `server` neighbour).
   */
  readonly maxRoutesToLeaf: number;
  /** Re-announce subscribed channels this often (peerwire: 60 s). */
  readonly channelAnnounceIntervalMs: number;
  /** Forget a channel this node is not in after this long without a CHANNEL (peerwire: 180 s, like the reference client). */
  readonly channelExpiryMs: number;
  /** CONNECT messages accepted per node (initiator or responder) per minute (peerwire: 6). */
  readonly connectPerMinute: number;
  /** A rendezvous not finished in this time fails (peerwire: 10 s). */
  readonly connectTimeoutMs: number;
  /** Probe datagrams sent to the other side during a punch, this often (peerwire: 250 ms). */
  readonly punchIntervalMs: number;
  /** A punched UDP path silent for this long is closed (peerwire: 30 s). */
  readonly directPathIdleMs: number;
  /** Most rendezvous in progress at once, all roles (peerwire: 64). */
  readonly maxPendingConnects: number;
  /** Most un-ACKed messages tracked for retransmission (peerwire: 4096). */
  readonly maxUnacked: number;
  /** Longest node name (the part before `@`), characters (peerwire: 64). */
  readonly maxNameLength: number;
  /** Longest channel name, characters (peerwire: 64). */
  readonly maxChannelNameLength: number;
}

export const DEFAULT_LIMITS: PtpchatLimits = Object.freeze({
  helloIntervalMs: 2_000,
  deadAfterMs: 15_000,
  retransmitIntervalMs: 10_000,
  maxRetransmissions: 5,
  defaultTtl: 32,
  maxTtl: 32,
  duplicateWindowMs: 120_000,
  duplicateCacheSize: 65_536,
  maxFrameLength: 99_999,
  routingIntervalMs: 10_000,
  routeExpiryPeriods: 3,
  routingDebounceMs: 200,
  maxRoutes: 16_384,
  maxRoutingEntries: 4_096,
  maxNeighbours: 1_024,
  floodRatePerSecond: 200,
  floodBurst: 400,
  maxHeldMessages: 256,
  maxHeldPerSender: 16,
  heldMessageTtlMs: 30_000,
  certificateRequestIntervalMs: 10_000,
  maxCertificates: 16_384,
  maxCertificateBytes: 16_384,
  maxMessageTextBytes: 16_384,
  maxAttachmentBytes: 65_536,
  maxAttachments: 4,
  maxChannels: 1_024,
  maxChannelMembers: 1_024,
  maxChannelsAnnouncedToNeighbour: 64,
  maxRoutesToLeaf: 256,
  maxReversePaths: 4_096,
  channelAnnounceIntervalMs: 60_000,
  channelExpiryMs: 180_000,
  connectPerMinute: 6,
  connectTimeoutMs: 10_000,
  punchIntervalMs: 250,
  directPathIdleMs: 30_000,
  maxPendingConnects: 64,
  maxUnacked: 4_096,
  maxNameLength: 64,
  maxChannelNameLength: 64,
});

/** The defaults overridden by `partial`; the HELLO interval is clamped to 0.5-2 s (spec §5). */
export function resolveLimits(partial: Partial<PtpchatLimits> = {}): PtpchatLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  limits.helloIntervalMs = Math.min(2_000, Math.max(500, limits.helloIntervalMs));
  return Object.freeze(limits);
}
