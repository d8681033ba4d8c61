import type { DeviceId } from '../codec/device-id.js';
import type { RandomSource } from '../codec/identity.js';
import { type KxKeyPair, kxKeyPair, type SessionKeys } from './kx.js';

/** The low 32 bits of a fresh helloseq are zero: the high ones are a boot id (spec §11). */
export const BOOT_ID_MASK = 0xffff_ffff_0000_0000n;

/** A random helloseq with its low 32 bits zeroed. */
export function freshHelloseq(random: RandomSource): bigint {
  const b = random(8);
  const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  return v & BOOT_ID_MASK;
}

/** What the secure layer keeps per peer. Internal to the layer; exposed read-only via `peer()`. */
export class SecureChannel {
  /** The ephemeral X25519 pair used with this peer (new on `renegotiate`). */
  kx: KxKeyPair;
  /** Our helloseq with this peer; incremented after each completed handshake. */
  helloseq: bigint;
  keys: SessionKeys | undefined;
  /** The flags the peer sent in its last accepted HELLO 2/3. */
  peerFlags = 0n;
  readonly queue: Uint8Array[] = [];
  /** When HELLO 1 was last sent for the queue, and how many repeats it has had. */
  helloSentAt = 0;
  helloRetries = 0;
  /** The ident of the last heartbeat sent, and when. */
  heartbeatIdent: Uint8Array | undefined;
  heartbeatSentAt = 0;
  /** RTT in ms of the last answered heartbeat, and when the answer came. */
  latencyMs: number | undefined;
  latencyAt = 0;

  constructor(
    readonly peerId: DeviceId,
    random: RandomSource,
  ) {
    this.kx = kxKeyPair(random);
    this.helloseq = freshHelloseq(random);
  }

  get established(): boolean {
    return this.keys !== undefined;
  }
}
