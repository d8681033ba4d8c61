// Test harness: relay cores joined by RedisCluster to one test redis-server, with in-memory
// peers that speak the client side of Spot (the same peers as @peerwire/relay's tests).
import {
  generatePrivateKey,
  IDCard,
  Keychain,
  type PrivateKey,
  signHandshake,
  signMessageBody,
} from '@peerwire/crypto';
import { Relay, type RelayOptions, type RelayPeer, type Session } from '@peerwire/relay';
import {
  decodeHandshakeRequest,
  decodeInstantMessage,
  encodeHandshakeResponse,
  encodeInstantMessage,
  type InstantMessage,
  MsgFlag,
  PacketType,
  readPacketType,
} from '@peerwire/wire';
import { RedisCluster, type RedisClusterOptions } from '../src/index.js';

export interface Identity {
  self: PrivateKey;
  keychain: Keychain;
  card: IDCard;
  blob: Uint8Array;
  address: string;
  hash: string;
}

export async function makeIdentity(type: 'P-256' | 'Ed25519' = 'Ed25519'): Promise<Identity> {
  const self = await generatePrivateKey(type);
  const keychain = new Keychain().add(self);
  const card = IDCard.create(self.publicKey, { now: 1_700_000_000 }).addKeychain(keychain);
  const blob = await card.sign(self);
  return { self, keychain, card, blob, address: card.address, hash: card.hash };
}

/** A connection as a test sees it: records everything the relay sends. */
export class TestPeer implements RelayPeer {
  readonly sent: Uint8Array[] = [];
  readonly messages: InstantMessage[] = [];
  closedWith: { code: number; reason: string } | undefined;
  bufferedAmount = 0;
  session: Session | null = null;
  online = false;
  #pending: Promise<void> = Promise.resolve();

  constructor(
    readonly identity: Identity | undefined,
    /** Answer handshake requests automatically (with `signer`, default the identity key). */
    readonly auto = true,
    public signer?: PrivateKey,
  ) {}

  send(packet: Uint8Array): void {
    if (this.closedWith) return;
    const copy = packet.slice();
    this.sent.push(copy);
    const type = readPacketType(copy);
    if (type === PacketType.InstantMessage)
      this.messages.push(decodeInstantMessage(copy, { maxBodyLength: 1 << 20 }));
    if (type === PacketType.Handshake && this.auto) {
      const req = decodeHandshakeRequest(copy);
      if (req.ready) this.online = true;
      else this.#pending = this.#pending.then(() => this.#answer(req.raw, req.groups));
    }
  }

  async #answer(raw: Uint8Array, groups: readonly Uint8Array[] | null): Promise<void> {
    const id = this.identity!;
    if (groups?.length && (await id.card.updateGroups(groups)))
      id.blob = await id.card.sign(id.self);
    const res = await signHandshake({ raw }, this.signer ?? id.self, id.blob);
    this.session?.receive(encodeHandshakeResponse(res));
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }

  /** Lets pending async work (handshake verification, endpoint replies) finish. */
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      await this.#pending;
      await new Promise((r) => setImmediate(r));
    }
  }

  lastHandshakeRequest() {
    for (let i = this.sent.length - 1; i >= 0; i--) {
      if (readPacketType(this.sent[i]!) === PacketType.Handshake)
        return decodeHandshakeRequest(this.sent[i]!);
    }
    return undefined;
  }

  /** Sends an instant message from this peer. */
  sendMessage(
    recipient: string,
    body: Uint8Array | string,
    opts: { flags?: bigint; sender?: string; id?: Uint8Array } = {},
  ): Uint8Array {
    const id = opts.id ?? crypto.getRandomValues(new Uint8Array(16));
    this.session!.receive(
      encodeInstantMessage({
        id,
        flags: opts.flags ?? MsgFlag.NotBottle,
        recipient,
        sender: opts.sender ?? '/test',
        body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
      }),
    );
    return id;
  }

  /** A request to an @/ endpoint as a sign-only bottle (as spotlib sends it). */
  async sendSigned(recipient: string, payload: Uint8Array, sender = '/req'): Promise<Uint8Array> {
    const body = await signMessageBody(payload, this.identity!.self);
    return this.sendMessage(recipient, body, { flags: 0n, sender });
  }

  /** The last message whose id equals `id`. */
  reply(id: Uint8Array): InstantMessage | undefined {
    const hex = Buffer.from(id).toString('hex');
    return this.messages.findLast((m) => Buffer.from(m.id).toString('hex') === hex);
  }
}

export interface ClusterNode {
  relay: Relay;
  cluster: RedisCluster;
  connect(identity?: Identity): Promise<TestPeer>;
}

/** A relay core on the test Redis (its store and bus from RedisCluster). */
export async function makeNode(
  url: string,
  serverCode: string,
  options: { cluster?: Partial<RedisClusterOptions>; relay?: Partial<RelayOptions> } = {},
): Promise<ClusterNode> {
  const cluster = await RedisCluster.connect({ url, serverCode, ...options.cluster });
  const relay = new Relay({
    serverCode,
    bus: cluster.bus,
    store: cluster.store,
    ...options.relay,
  });
  cluster.attach((target, packet, origin) => relay.deliverFromBus(target, packet, origin));
  await relay.start();
  return {
    relay,
    cluster,
    async connect(identity) {
      const peer = new TestPeer(identity);
      peer.session = relay.accept(peer, '127.0.0.1');
      await waitFor(() => peer.online);
      return peer;
    },
  };
}

/** Polls `check` until it holds (fails after `ms`). */
export async function waitFor(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
