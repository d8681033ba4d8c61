import { BobError, SpokeError, SpokeFailure } from './errors.js';
import {
  encodeFrame,
  type Frame,
  type Packet,
  PacketDecoder,
  type PacketLimits,
} from './packet.js';
import { DEFAULT_MAX_CANDIDATES, type PeerEvent } from './peer.js';
import {
  type ClientHandshake,
  clientCompute,
  clientHello,
  type RandomSource,
  type SharedKeys,
} from './spoke.js';
import type { PublicLimits } from './spoke-public.js';

export interface ClientOptions extends PacketLimits, PublicLimits {
  readonly password: string | Uint8Array;
  readonly random: RandomSource;
  /** Most senders tried at once (default {@link DEFAULT_MAX_CANDIDATES}). */
  readonly maxCandidates?: number;
  /** bob's `--reproduce`: bind ("foo", "bar") instead of the relay-given identities. */
  readonly reproduce?: boolean;
}

interface ServerState {
  readonly identity: string;
  readonly hello: ClientHandshake;
  keys?: SharedKeys;
  agreed?: boolean;
}

/**
 * The receiver's handshake (bob's "client", spec §2.2), sans-I/O. It tries every sender the
 * relay announces; a sender whose validator does not match (another password) is dropped with
 * Spoke_failure `01`. On an `agreement` event the caller asks its user and calls `accept` or
 * `refuse`; `done` follows the relay's `Done`.
 */
export class BobClient {
  readonly #options: ClientOptions;
  readonly #decoder: PacketDecoder;
  readonly #servers = new Map<number, ServerState>();
  #identity: string | undefined;
  #accepted: number | undefined;
  #finished = false;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#decoder = new PacketDecoder(options);
  }

  get identity(): string | undefined {
    return this.#identity;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Senders with a handshake in progress (not failed, not refused). */
  get candidates(): number {
    return this.#servers.size;
  }

  /** `Hello_as_a_client`. */
  start(): PeerEvent[] {
    return [this.#send(0, { type: 'hello-as-a-client' })];
  }

  receive(chunk: Uint8Array): PeerEvent[] {
    const events: PeerEvent[] = [];
    for (const frame of this.#decoder.push(chunk)) {
      if (this.#finished) break;
      this.#frame(frame, events);
    }
    return events;
  }

  /** Accepts the agreement with sender `uid` (sends `Accepted`). */
  accept(uid: number): PeerEvent[] {
    const server = this.#servers.get(uid);
    if (!server?.agreed)
      throw new BobError('PROTOCOL', `no agreement with sender ${uid} to accept`);
    if (this.#accepted !== undefined)
      throw new BobError('PROTOCOL', 'an agreement was already accepted');
    this.#accepted = uid;
    return [this.#send(uid, { type: 'accepted' })];
  }

  /** Refuses the agreement with sender `uid` (sends `Refused`) and forgets it. */
  refuse(uid: number): PeerEvent[] {
    const server = this.#servers.get(uid);
    if (!server?.agreed)
      throw new BobError('PROTOCOL', `no agreement with sender ${uid} to refuse`);
    this.#servers.delete(uid);
    return [this.#send(uid, { type: 'refused' })];
  }

  #send(uid: number, packet: Packet): PeerEvent {
    return { type: 'send', bytes: encodeFrame(uid, packet, this.#options) };
  }

  #identities(serverIdentity: string): { client: string; server: string } {
    return this.#options.reproduce
      ? { client: 'foo', server: 'bar' }
      : { client: this.#identity ?? '', server: serverIdentity };
  }

  #frame({ uid, packet }: Frame, events: PeerEvent[]): void {
    const ignore = (reason: string) =>
      events.push({ type: 'ignored', uid, packet: packet.type, reason });
    switch (packet.type) {
      case 'client-identity':
        if (uid !== 0) return void ignore('identities come from the relay');
        this.#identity = packet.identity;
        events.push({ type: 'identity', identity: packet.identity });
        return;
      case 'new-server': {
        if (uid !== 0) return void ignore('New_server comes from the relay');
        if (this.#identity === undefined) return void ignore('no identity from the relay yet');
        if (this.#accepted !== undefined) return void ignore('an agreement was already accepted');
        const s = packet.uid;
        const max = this.#options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
        if (!this.#servers.has(s) && this.#servers.size >= max) {
          return void ignore(`already ${max} senders in progress`);
        }
        try {
          const r = clientHello(
            packet.public,
            this.#options.password,
            this.#options.random,
            this.#options,
          );
          this.#servers.set(s, { identity: packet.identity, hello: r.state });
          events.push({ type: 'candidate', uid: s, identity: packet.identity });
          events.push(
            this.#send(s, { type: 'x-and-client-identity', X: r.X, identity: this.#identity }),
          );
        } catch (error) {
          if (!(error instanceof SpokeError)) throw error;
          this.#servers.delete(s);
          events.push({
            type: 'candidate-failed',
            uid: s,
            identity: packet.identity,
            failure: error.failure,
            by: 'us',
          });
          events.push(this.#send(s, { type: 'spoke-failure', failure: error.failure }));
        }
        return;
      }
      case 'y-and-server-validator': {
        const server = this.#servers.get(uid);
        if (!server || server.keys) {
          events.push(
            this.#send(0, { type: 'relay-failure', failure: { kind: 'invalid-server', uid } }),
          );
          return void ignore('no handshake in this state with this sender');
        }
        try {
          const r = clientCompute(
            server.hello,
            this.#identities(server.identity),
            packet.Y,
            packet.validator,
          );
          server.keys = r.sharedKeys;
          events.push(this.#send(uid, { type: 'client-validator', validator: r.validator }));
        } catch (error) {
          if (!(error instanceof SpokeError)) throw error;
          this.#servers.delete(uid);
          events.push({
            type: 'candidate-failed',
            uid,
            identity: server.identity,
            failure: error.failure,
            by: 'us',
          });
          const failure =
            error.failure === SpokeFailure.PointNotOnPrimeOrderSubgroup
              ? SpokeFailure.PointNotOnPrimeOrderSubgroup
              : SpokeFailure.InvalidClientValidator;
          events.push(this.#send(uid, { type: 'spoke-failure', failure }));
        }
        return;
      }
      case 'agreement': {
        const server = this.#servers.get(uid);
        if (!server?.keys || server.agreed) {
          events.push(
            this.#send(0, { type: 'relay-failure', failure: { kind: 'no-handshake-with', uid } }),
          );
          return void ignore('no validated handshake with this sender');
        }
        server.agreed = true;
        events.push({ type: 'agreement', uid, identity: server.identity });
        return;
      }
      case 'done': {
        if (uid !== 0) return void ignore('Done comes from the relay');
        const server = this.#accepted === undefined ? undefined : this.#servers.get(this.#accepted);
        if (!server?.keys || this.#identity === undefined) {
          // OCaml answers N0000 here, which OCaml relays cannot parse: peerwire never sends it.
          return void ignore('Done without an accepted agreement');
        }
        this.#finished = true;
        events.push({
          type: 'done',
          result: {
            peerIdentity: server.identity,
            ownIdentity: this.#identity,
            ciphers: server.hello.ciphers,
            sharedKeys: server.keys,
          },
        });
        return;
      }
      case 'spoke-failure': {
        const server = this.#servers.get(uid);
        if (uid === this.#accepted) this.#accepted = undefined;
        this.#servers.delete(uid);
        events.push({
          type: 'candidate-failed',
          uid,
          identity: server?.identity,
          failure: packet.failure,
          by: 'peer',
        });
        return;
      }
      case 'closed':
        if (uid !== 0) return void ignore('Closed comes from the relay');
        if (packet.uid === 0) {
          this.#finished = true;
          events.push({ type: 'closed', reason: 'relay' });
          return;
        }
        // The accepted sender gone means it paired with another receiver first: start over.
        if (packet.uid === this.#accepted) this.#accepted = undefined;
        this.#servers.delete(packet.uid);
        events.push({ type: 'candidate-closed', uid: packet.uid });
        return;
      case 'timeout':
        if (uid !== 0) return void ignore('Timeout comes from the relay');
        this.#finished = true;
        events.push({ type: 'closed', reason: 'timeout' });
        return;
      default:
        ignore('not a packet for a receiver');
    }
  }
}
