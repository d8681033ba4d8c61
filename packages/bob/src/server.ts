import { SpokeError, SpokeFailure } from './errors.js';
import { encodeFrame, type Frame, PacketDecoder, type PacketLimits } from './packet.js';
import { DEFAULT_MAX_CANDIDATES, type PeerEvent } from './peer.js';
import {
  type RandomSource,
  type ServerHandshake,
  type SharedKeys,
  type SpokeSecret,
  serverCompute,
  serverFinalize,
} from './spoke.js';
import { decodePublic } from './spoke-public.js';

export interface ServerOptions extends PacketLimits {
  readonly secret: SpokeSecret;
  readonly random: RandomSource;
  /** Most clients handled at once (default {@link DEFAULT_MAX_CANDIDATES}). */
  readonly maxCandidates?: number;
  /** bob's `--reproduce`: bind ("foo", "bar") instead of the relay-given identities. */
  readonly reproduce?: boolean;
}

interface ClientState {
  readonly identity: string;
  readonly handshake: ServerHandshake;
  keys?: SharedKeys;
}

/**
 * The sender's handshake (bob's "server", spec §2.1), sans-I/O: feed it the bytes read from the
 * relay's handshake port, write out every `send` event. Unlike OCaml bob it keeps one state per
 * client and completes with the client whose `Accepted` arrives (spec §11).
 */
export class BobServer {
  readonly #options: ServerOptions;
  readonly #decoder: PacketDecoder;
  readonly #clients = new Map<number, ClientState>();
  readonly #ciphers;
  #identity: string | undefined;
  #finished = false;

  constructor(options: ServerOptions) {
    this.#options = options;
    this.#decoder = new PacketDecoder(options);
    this.#ciphers = decodePublic(options.secret.public, {
      maxIterations: Number.MAX_SAFE_INTEGER,
    }).ciphers;
  }

  /** This peer's identity, once the relay sent it. */
  get identity(): string | undefined {
    return this.#identity;
  }

  /** Whether `done` or `closed` was emitted. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Clients with a handshake in progress or agreed. */
  get candidates(): number {
    return this.#clients.size;
  }

  /** `Hello_as_a_server` with the public. */
  start(): PeerEvent[] {
    return [this.#send(0, { type: 'hello-as-a-server', public: this.#options.secret.public })];
  }

  /** Feeds bytes from the relay. Throws `BobError` if they are not bob packets. */
  receive(chunk: Uint8Array): PeerEvent[] {
    const events: PeerEvent[] = [];
    for (const frame of this.#decoder.push(chunk)) {
      if (this.#finished) break;
      this.#frame(frame, events);
    }
    return events;
  }

  #send(uid: number, packet: Parameters<typeof encodeFrame>[1]): PeerEvent {
    return { type: 'send', bytes: encodeFrame(uid, packet, this.#options) };
  }

  #frame({ uid, packet }: Frame, events: PeerEvent[]): void {
    const ignore = (reason: string) =>
      events.push({ type: 'ignored', uid, packet: packet.type, reason });
    switch (packet.type) {
      case 'server-identity':
        if (uid !== 0) return void ignore('identities come from the relay');
        this.#identity = packet.identity;
        events.push({ type: 'identity', identity: packet.identity });
        return;
      case 'x-and-client-identity': {
        if (uid === 0) return void ignore('X comes from a client');
        if (this.#identity === undefined) return void ignore('no identity from the relay yet');
        const max = this.#options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
        if (!this.#clients.has(uid) && this.#clients.size >= max) {
          return void ignore(`already ${max} clients in progress`);
        }
        const identities = this.#options.reproduce
          ? { client: 'foo', server: 'bar' }
          : { client: packet.identity, server: this.#identity };
        try {
          const r = serverCompute(this.#options.secret, identities, packet.X, this.#options.random);
          this.#clients.set(uid, { identity: packet.identity, handshake: r.state });
          events.push({ type: 'candidate', uid, identity: packet.identity });
          events.push(
            this.#send(uid, { type: 'y-and-server-validator', Y: r.Y, validator: r.validator }),
          );
        } catch (error) {
          if (!(error instanceof SpokeError)) throw error;
          this.#clients.delete(uid);
          events.push({
            type: 'candidate-failed',
            uid,
            identity: packet.identity,
            failure: error.failure,
            by: 'us',
          });
          events.push(this.#send(uid, { type: 'spoke-failure', failure: error.failure }));
        }
        return;
      }
      case 'client-validator': {
        const client = this.#clients.get(uid);
        if (!client) {
          events.push(
            this.#send(0, { type: 'relay-failure', failure: { kind: 'invalid-client', uid } }),
          );
          return void ignore('no handshake with this client');
        }
        try {
          client.keys = serverFinalize(client.handshake, packet.validator);
          events.push(this.#send(uid, { type: 'agreement' }));
        } catch (error) {
          if (!(error instanceof SpokeError)) throw error;
          this.#clients.delete(uid);
          events.push({
            type: 'candidate-failed',
            uid,
            identity: client.identity,
            failure: error.failure,
            by: 'us',
          });
          events.push(
            this.#send(uid, {
              type: 'spoke-failure',
              failure: SpokeFailure.InvalidServerValidator,
            }),
          );
        }
        return;
      }
      case 'accepted': {
        const client = this.#clients.get(uid);
        if (!client?.keys || this.#identity === undefined) {
          events.push(
            this.#send(0, { type: 'relay-failure', failure: { kind: 'no-handshake-with', uid } }),
          );
          return void ignore('no agreement with this client');
        }
        this.#finished = true;
        events.push({
          type: 'done',
          result: {
            peerIdentity: client.identity,
            ownIdentity: this.#identity,
            ciphers: this.#ciphers,
            sharedKeys: client.keys,
          },
        });
        return;
      }
      case 'refused': {
        const client = this.#clients.get(uid);
        if (!client) return void ignore('no handshake with this client');
        this.#clients.delete(uid);
        if (client.keys) events.push({ type: 'refused', uid, identity: client.identity });
        return;
      }
      case 'spoke-failure': {
        const client = this.#clients.get(uid);
        this.#clients.delete(uid);
        events.push({
          type: 'candidate-failed',
          uid,
          identity: client?.identity,
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
        this.#clients.delete(packet.uid);
        events.push({ type: 'candidate-closed', uid: packet.uid });
        return;
      case 'timeout':
        if (uid !== 0) return void ignore('Timeout comes from the relay');
        this.#finished = true;
        events.push({ type: 'closed', reason: 'timeout' });
        return;
      default:
        ignore('not a packet for a sender');
    }
  }
}
