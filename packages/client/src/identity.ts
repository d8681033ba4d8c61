import {
  canSign,
  generatePrivateKey,
  IDCard,
  type Keychain,
  type PrivateKey,
  signHandshake,
} from '@peerwire/crypto';
import { encodeHandshakeResponse } from '@peerwire/wire';
import { ClientError } from './errors.js';

/**
 * This client's identity: the signing key (`Self`), the IDCard presented to relays and its
 * signed blob (re-signed only after the card changed), and the handshake answers made with them.
 */
export class Identity {
  readonly self: PrivateKey;
  readonly card: IDCard;
  #blob: Uint8Array | undefined;

  constructor(
    readonly keychain: Keychain,
    card: IDCard | undefined,
    readonly nowSeconds: () => number,
  ) {
    const self = card ? keychain.get(card.self) : (keychain.firstSigner ?? undefined);
    if (!self || !canSign(self.type)) {
      throw new ClientError('NO_IDENTITY', 'the keychain holds no signing key for this identity');
    }
    this.self = self;
    this.card = card ?? IDCard.create(self.publicKey, { now: nowSeconds() }).addKeychain(keychain);
  }

  /** The signed IDCard blob presented to relays and answered on `finger`. */
  async signedCard(): Promise<Uint8Array> {
    this.#blob ??= await this.card.sign(this.self);
    return this.#blob;
  }

  /**
   * Without a `decrypt` key nobody can encrypt to this identity (an Ed25519-only card, say). As
   * spotlib does, add a fresh P-256 key for the session, with purposes decrypt, ephemeral, sign.
   */
  async ensureDecryptKey(): Promise<void> {
    const now = this.nowSeconds();
    if (this.card.getKeys('decrypt', now).length > 0) return;
    const key = await generatePrivateKey('P-256');
    this.keychain.add(key);
    this.card.addKey(key.publicKey.pkix, ['decrypt', 'ephemeral', 'sign'], { issued: now });
    this.#blob = undefined;
  }

  /**
   * The HandshakeResponse packet to a relay's request (`raw` payload, `grp` memberships to take
   * into the card first). A bad group list is reported through `problem` and does not stop the
   * handshake, as in spotlib.
   */
  async answerHandshake(
    raw: Uint8Array,
    groups: readonly Uint8Array[] | null,
    problem: (message: string) => void,
  ): Promise<Uint8Array> {
    if (groups !== null && groups.length > 0) {
      try {
        if (await this.card.updateGroups(groups)) this.#blob = undefined;
      } catch (error) {
        problem(`cannot update groups: ${(error as Error).message}`);
      }
    }
    const blob = await this.signedCard();
    return encodeHandshakeResponse(await signHandshake({ raw }, this.#handshakeKey(), blob));
  }

  /** An ECDSA key when there is one (as the Go client), else the identity key. */
  #handshakeKey(): PrivateKey {
    const now = this.nowSeconds();
    for (const k of this.keychain.keys()) {
      if (
        (k.type === 'P-256' || k.type === 'P-384') &&
        this.card.testKeyPurpose(k.publicKey.pkix, 'sign', now)
      )
        return k;
    }
    return this.self;
  }
}
