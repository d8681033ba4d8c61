import { bytesEqual, toHex } from '@peerwire/wire';
import type { DeviceId } from '../codec/device-id.js';
import type { Identity, RandomSource } from '../codec/identity.js';
import type { Ed25519Verify } from '../codec/signature.js';
import { NatbaseError, type NatbaseErrorCode } from '../errors.js';
import { SecureChannel } from './channel.js';
import { applyFlags, DEFAULT_SECURE_FLAGS } from './flags.js';
import { deriveSessionKeys, kxKeyPair } from './kx.js';
import { resolveSecureLimits, type SecureLimits } from './limits.js';
import { nobleSecretbox, type SecretboxBackend } from './secretbox-backend.js';
import {
  decodeSecurePacket,
  encodeSecurePacket,
  HEARTBEAT_IDENT_LENGTH,
  NONCE_LENGTH,
  type SecureHello,
  signSecureHello,
  verifySecureHello,
} from './secure-packet.js';

/** What the secure layer asks of its caller. */
export type SecureOutput =
  /** Hand `packet` to the lower layer (P2P DATA or base relay) for `peer`. */
  | { readonly type: 'send'; readonly peer: DeviceId; readonly packet: Uint8Array }
  /** A payload from `peer`, its MAC verified. */
  | { readonly type: 'deliver'; readonly peer: DeviceId; readonly payload: Uint8Array }
  /** Session keys with `peer` were (re)derived. */
  | { readonly type: 'established'; readonly peer: DeviceId }
  /** A heartbeat round-trip to `peer` took `rttMs`. */
  | { readonly type: 'latency'; readonly peer: DeviceId; readonly rttMs: number }
  /** A packet was dropped; `reason` is the error code that says why. */
  | {
      readonly type: 'drop';
      readonly peer: DeviceId;
      readonly reason: NatbaseErrorCode;
      readonly detail: string;
    };

export interface SecureLayerOptions {
  readonly identity: Identity;
  /** Random bytes (nonces, ephemeral keys, helloseq, heartbeat idents). */
  readonly random: RandomSource;
  /** The current time in milliseconds (heartbeat RTTs only). */
  readonly now: () => number;
  /** The flags this device advertises (default `SUPPORTS_FLAGS`). */
  readonly flags?: bigint;
  readonly limits?: Partial<SecureLimits>;
  /** Who seals and opens DATA (default `@noble/ciphers`; `sodiumSecretbox` from `./node`). */
  readonly secretbox?: SecretboxBackend;
  /** Ed25519 verification of secure HELLOs (default `@noble/curves`; `opensslEd25519Verify` from `./node`). */
  readonly verify?: Ed25519Verify;
}

/** What `peer()` tells about one peer. */
export interface SecurePeerState {
  readonly established: boolean;
  readonly peerFlags: bigint;
  readonly queued: number;
  /** The last heartbeat RTT, while younger than `latencyValidityMs`. */
  readonly latencyMs: number | undefined;
}

/**
 * The secure layer of spec §11 as a sans-I/O object: the 3-way secure HELLO, `crypto_kx` session
 * keys (with the flags rehash), XSalsa20-Poly1305 secretbox DATA and heartbeats. It sits between
 * the host agent's transport (P2P DATA or base relay, which tell it the peer's device id) and the
 * user's datagrams. Bad input never throws: it comes back as a `drop` output with its code.
 */
export class SecureLayer {
  readonly limits: SecureLimits;
  readonly flags: bigint;
  readonly #identity: Identity;
  readonly #random: RandomSource;
  readonly #now: () => number;
  readonly #peers = new Map<string, SecureChannel>();
  readonly #box: SecretboxBackend;
  #last: SecureChannel | undefined;
  /** Channels with packets queued for a handshake (what `timer` looks at). */
  readonly #waiting = new Set<SecureChannel>();
  readonly #verify: Ed25519Verify | undefined;

  constructor(options: SecureLayerOptions) {
    this.#identity = options.identity;
    this.#random = options.random;
    this.#now = options.now;
    this.flags = options.flags ?? DEFAULT_SECURE_FLAGS;
    this.limits = resolveSecureLimits(options.limits);
    this.#box = options.secretbox ?? nobleSecretbox;
    this.#verify = options.verify;
  }

  /** Seals `payload` for `peer`, or queues it and opens a handshake. */
  send(peer: DeviceId, payload: Uint8Array): SecureOutput[] {
    if (payload.length > this.limits.maxPayloadLength)
      throw new NatbaseError(
        'PAYLOAD_TOO_LARGE',
        `payload of ${payload.length} bytes exceeds ${this.limits.maxPayloadLength}`,
      );
    const ch = this.#channel(peer);
    if (!ch) return [this.#drop(peer, 'TOO_MANY_PEERS', 'peer table full')];
    if (ch.keys) return [this.#seal(ch, payload)];
    const out: SecureOutput[] = [];
    if (ch.queue.length < this.limits.maxQueuedPackets) ch.queue.push(payload.slice());
    else out.push(this.#drop(peer, 'QUEUE_FULL', 'handshake queue full'));
    if (!this.#waiting.has(ch)) {
      this.#waiting.add(ch);
      ch.helloRetries = 0;
    }
    ch.helloSentAt = this.#now();
    out.push(this.#hello(ch, 1, 0n));
    return out;
  }

  /**
   * Repeats HELLO 1 for every queue that has waited `helloRetryMs` without keys; a queue whose
   * handshake had `maxHelloRetries` repeats is dropped (`HANDSHAKE_TIMEOUT`). Call it at
   * `nextTimer()`.
   */
  timer(): SecureOutput[] {
    const now = this.#now();
    const out: SecureOutput[] = [];
    for (const ch of [...this.#waiting]) {
      if (now < ch.helloSentAt + this.limits.helloRetryMs) continue;
      if (ch.helloRetries >= this.limits.maxHelloRetries) {
        const n = ch.queue.splice(0).length;
        this.#waiting.delete(ch);
        out.push(
          this.#drop(
            ch.peerId,
            'HANDSHAKE_TIMEOUT',
            `no handshake after ${ch.helloRetries} repeats: ${n} packets dropped`,
          ),
        );
        continue;
      }
      ch.helloRetries++;
      ch.helloSentAt = now;
      out.push(this.#hello(ch, 1, 0n));
    }
    return out;
  }

  /** When `timer` has something to do (Infinity when no queue waits). */
  nextTimer(): number {
    let at = Number.POSITIVE_INFINITY;
    for (const ch of this.#waiting) at = Math.min(at, ch.helloSentAt + this.limits.helloRetryMs);
    return at;
  }

  /**
   * The lower layer has a new path to `peer` (a direct path came up, a base was chosen): if
   * packets wait for a handshake, HELLO 1 goes again at once instead of at the next `timer`.
   */
  pathChanged(peer: DeviceId): SecureOutput[] {
    const ch = this.#peers.get(toHex(peer));
    if (!ch || !this.#waiting.has(ch)) return [];
    ch.helloSentAt = this.#now();
    return [this.#hello(ch, 1, 0n)];
  }

  /** Handles one secure packet received from `peer`. */
  receive(peer: DeviceId, packet: Uint8Array): SecureOutput[] {
    if (packet.length > this.limits.maxPacketLength)
      return [this.#drop(peer, 'PAYLOAD_TOO_LARGE', `packet of ${packet.length} bytes`)];
    let p: ReturnType<typeof decodeSecurePacket>;
    try {
      p = decodeSecurePacket(packet);
    } catch (e) {
      return [this.#dropError(peer, e)];
    }
    switch (p.kind) {
      case 'DATA': {
        const ch = this.#channel(peer);
        if (!ch) return [this.#drop(peer, 'TOO_MANY_PEERS', 'peer table full')];
        if (!ch.keys)
          return [
            this.#drop(peer, 'NO_SESSION', 'DATA before the handshake'),
            this.#hello(ch, 1, 0n),
          ];
        try {
          return [{ type: 'deliver', peer, payload: this.#box.openData(ch.keys.rx, packet) }];
        } catch (e) {
          return [this.#dropError(peer, e)];
        }
      }
      case 'HELLO':
        return this.#onHello(peer, p);
      case 'HEARTBEAT':
        return [
          {
            type: 'send',
            peer,
            packet: encodeSecurePacket({ kind: 'HEARTBEAT_REPLY', ident: p.ident }),
          },
        ];
      case 'HEARTBEAT_REPLY': {
        const ch = this.#peers.get(toHex(peer));
        if (!ch?.heartbeatIdent || !bytesEqual(ch.heartbeatIdent, p.ident))
          return [this.#drop(peer, 'BAD_VALUE', 'heartbeat reply to no heartbeat of ours')];
        const now = this.#now();
        ch.latencyMs = now - ch.heartbeatSentAt;
        ch.latencyAt = now;
        ch.heartbeatIdent = undefined;
        return [{ type: 'latency', peer, rttMs: ch.latencyMs }];
      }
    }
  }

  /** Sends a heartbeat to `peer` (the RTT comes back as a `latency` output). */
  heartbeat(peer: DeviceId): SecureOutput[] {
    const ch = this.#channel(peer);
    if (!ch) return [this.#drop(peer, 'TOO_MANY_PEERS', 'peer table full')];
    ch.heartbeatIdent = this.#random(HEARTBEAT_IDENT_LENGTH).slice();
    ch.heartbeatSentAt = this.#now();
    return [
      {
        type: 'send',
        peer,
        packet: encodeSecurePacket({ kind: 'HEARTBEAT', ident: ch.heartbeatIdent }),
      },
    ];
  }

  /**
   * Starts a new handshake with `peer` with a fresh ephemeral kx key pair (forward secrecy; what
   * HEAD's RENEGOTIATION_TIMEOUT does every 120 s). The current keys stay in use until then.
   */
  renegotiate(peer: DeviceId): SecureOutput[] {
    const ch = this.#channel(peer);
    if (!ch) return [this.#drop(peer, 'TOO_MANY_PEERS', 'peer table full')];
    ch.kx = kxKeyPair(this.#random);
    return [this.#hello(ch, 1, 0n)];
  }

  /** The state kept for `peer`, if any. */
  peer(peer: DeviceId): SecurePeerState | undefined {
    const ch = this.#peers.get(toHex(peer));
    if (!ch) return undefined;
    const fresh =
      ch.latencyMs !== undefined && this.#now() - ch.latencyAt <= this.limits.latencyValidityMs;
    return {
      established: ch.established,
      peerFlags: ch.peerFlags,
      queued: ch.queue.length,
      latencyMs: fresh ? ch.latencyMs : undefined,
    };
  }

  /** Forgets `peer` (its keys and queue). */
  forget(peer: DeviceId): void {
    const ch = this.#peers.get(toHex(peer));
    if (ch) this.#waiting.delete(ch);
    this.#peers.delete(toHex(peer));
    if (this.#last && bytesEqual(this.#last.peerId, peer)) this.#last = undefined;
  }

  /** Peers tracked. */
  get size(): number {
    return this.#peers.size;
  }

  #onHello(peer: DeviceId, h: SecureHello): SecureOutput[] {
    // Authenticate before touching any state (creating the peer included).
    try {
      verifySecureHello(h, peer, this.#identity.deviceId, this.#verify);
    } catch (e) {
      return [this.#dropError(peer, e)];
    }
    const ch = this.#channel(peer);
    if (!ch) return [this.#drop(peer, 'TOO_MANY_PEERS', 'peer table full')];
    if (h.step === 1) return [this.#hello(ch, 2, h.myHelloseq)];
    if (h.yourHelloseq !== ch.helloseq)
      return [this.#drop(peer, 'UNEXPECTED_HELLO', 'helloseq is not ours (replay or interleaved)')];
    let keys: ReturnType<typeof deriveSessionKeys>;
    try {
      keys = deriveSessionKeys(this.#identity.deviceId, peer, ch.kx, h.kxPublicKey);
    } catch (e) {
      return [this.#dropError(peer, e)];
    }
    ch.keys = applyFlags(keys, h.flags, this.flags);
    ch.peerFlags = h.flags;
    ch.helloseq = BigInt.asUintN(64, ch.helloseq + 1n);
    this.#waiting.delete(ch);
    const out: SecureOutput[] = [{ type: 'established', peer }];
    // HELLO 3 goes before the queued DATA so that the peer has its keys when the DATA arrives
    // (upstream sends the queue first, and the peer drops it).
    if (h.step === 2) out.push(this.#hello(ch, 3, h.myHelloseq));
    for (const payload of ch.queue.splice(0)) out.push(this.#seal(ch, payload));
    return out;
  }

  #hello(ch: SecureChannel, step: 1 | 2 | 3, yourHelloseq: bigint): SecureOutput {
    const hello = signSecureHello(
      {
        step,
        kxPublicKey: ch.kx.publicKey,
        yourDeviceId: ch.peerId,
        myHelloseq: ch.helloseq,
        yourHelloseq,
        flags: this.flags,
      },
      this.#identity,
    );
    return { type: 'send', peer: ch.peerId, packet: encodeSecurePacket(hello) };
  }

  #seal(ch: SecureChannel, payload: Uint8Array): SecureOutput {
    const packet = this.#box.sealData(ch.keys!.tx, this.#random(NONCE_LENGTH), payload);
    return { type: 'send', peer: ch.peerId, packet };
  }

  #channel(peer: DeviceId): SecureChannel | undefined {
    if (peer.length !== 16 || bytesEqual(peer, this.#identity.deviceId))
      throw new NatbaseError('BAD_VALUE', 'a peer is another 16-byte device id');
    const last = this.#last;
    if (last && bytesEqual(last.peerId, peer)) return last; // upstream caches the last peer too
    const key = toHex(peer);
    let ch = this.#peers.get(key);
    if (!ch) {
      if (this.#peers.size >= this.limits.maxPeers) return undefined;
      ch = new SecureChannel(peer.slice(), this.#random);
      this.#peers.set(key, ch);
    }
    this.#last = ch;
    return ch;
  }

  #drop(peer: DeviceId, reason: NatbaseErrorCode, detail: string): SecureOutput {
    return { type: 'drop', peer, reason, detail };
  }

  #dropError(peer: DeviceId, e: unknown): SecureOutput {
    if (e instanceof NatbaseError) return this.#drop(peer, e.code, e.message);
    throw e;
  }
}
