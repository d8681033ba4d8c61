import type { SpokeFailure } from './errors.js';
import type { PacketName } from './packet.js';
import type { SharedKeys } from './spoke.js';
import type { SpokeCipher } from './spoke-public.js';

/** Default cap on handshakes a peer runs at once (each costs a PBKDF2 and scalar products). */
export const DEFAULT_MAX_CANDIDATES = 256;

/** What a finished handshake gives a peer: enough to open the secure room and the records. */
export interface HandshakeResult {
  /** The partner's relay-given identity: what to write to the secure room. */
  readonly peerIdentity: string;
  /** This peer's relay-given identity. */
  readonly ownIdentity: string;
  /** (cipher0, cipher1) from the sender's public. */
  readonly ciphers: readonly [SpokeCipher, SpokeCipher];
  readonly sharedKeys: SharedKeys;
}

/** Events the sender and receiver cores emit, in order. Write every `send` to the relay. */
export type PeerEvent =
  | { readonly type: 'send'; readonly bytes: Uint8Array }
  /** The relay told this peer its identity. */
  | { readonly type: 'identity'; readonly identity: string }
  /** A handshake started with a partner candidate. */
  | { readonly type: 'candidate'; readonly uid: number; readonly identity: string }
  /**
   * A handshake failed. `by: 'us'` = this peer detected it and sent Spoke_failure; `'peer'` =
   * the partner reported it. Failure 1 or 2 usually means the partner has another password.
   */
  | {
      readonly type: 'candidate-failed';
      readonly uid: number;
      readonly identity: string | undefined;
      readonly failure: SpokeFailure;
      readonly by: 'us' | 'peer';
    }
  /** The relay reported a candidate gone (`09`). */
  | { readonly type: 'candidate-closed'; readonly uid: number }
  /** Receiver only: the keys agree with this sender; answer with `accept` or `refuse`. */
  | { readonly type: 'agreement'; readonly uid: number; readonly identity: string }
  /** Sender only: this receiver refused after the agreement (`0b`, forwarded by peerwire relays). */
  | { readonly type: 'refused'; readonly uid: number; readonly identity: string }
  /** The handshake is complete; go to the secure room. */
  | { readonly type: 'done'; readonly result: HandshakeResult }
  /** The relay timed this peer out (`0f`), or sent `09 0000`; the relay closes the connection. */
  | { readonly type: 'closed'; readonly reason: 'timeout' | 'relay' }
  /** A packet that does not fit the protocol here; it changed nothing. */
  | {
      readonly type: 'ignored';
      readonly uid: number;
      readonly packet: PacketName;
      readonly reason: string;
    };
