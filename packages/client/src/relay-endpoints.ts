import {
  Bottle,
  canSign,
  type IDCard,
  type Keychain,
  type Membership,
  openBottle,
} from '@peerwire/crypto';
import { concatBytes, toBase64Url } from '@peerwire/wire';
import { ClientError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the relay endpoints need from the client. */
export interface RelayEndpointContext {
  readonly keychain: Keychain;
  /** This client's own card (blobs are sealed to it). */
  card(): IDCard;
  nowSeconds(): number;
  query(to: string, payload?: Uint8Array): Promise<Uint8Array>;
}

/** The relay's own `@/` endpoints: blobs, groups, time and version. */
export class RelayEndpoints {
  constructor(readonly ctx: RelayEndpointContext) {}

  /** Stores `value` on the relay under `key`, encrypted to and signed by this identity. */
  async storeBlob(key: Uint8Array | string, value: Uint8Array | string): Promise<void> {
    const k = blobKey(key);
    const bottle = Bottle.fromPayload(bytes(value));
    await bottle.encrypt([this.ctx.card()], { now: this.ctx.nowSeconds() });
    bottle.bottleUp();
    for (const signer of this.ctx.keychain.keys().filter((x) => canSign(x.type)))
      await bottle.sign(signer);
    await this.ctx.query('@/store_blob', concatBytes(k, Uint8Array.of(0), bottle.encode()));
  }

  /** Fetches a blob stored by `storeBlob`; checks it was sealed to and signed by this identity. */
  async fetchBlob(key: Uint8Array | string): Promise<Uint8Array> {
    const stored = await this.ctx.query('@/fetch_blob', blobKey(key));
    const keychain = this.ctx.keychain;
    const opened = await openBottle(stored, keychain);
    if (opened.decryptions === 0 || !opened.signers.some((s) => keychain.has(s.pkix))) {
      throw new ClientError(
        'BAD_RESPONSE',
        'the stored blob is not sealed to and signed by this identity',
      );
    }
    return opened.payload;
  }

  async deleteBlob(key: Uint8Array | string): Promise<void> {
    await this.ctx.query('@/store_blob', concatBytes(blobKey(key), Uint8Array.of(0)));
  }

  /** Registers a membership (signed by its group key) on the relay. */
  async groupUpdate(membership: Membership): Promise<void> {
    await this.ctx.query('@/group_update', membership.encode());
  }

  /** The `k.` addresses of a group's members, as the relay knows them. */
  async groupList(groupKeyPkix: Uint8Array): Promise<string[]> {
    const out = await this.ctx.query('@/group_list', groupKeyPkix);
    const list: string[] = [];
    for (let i = 0; i + 32 <= out.length; i += 32)
      list.push(`k.${toBase64Url(out.subarray(i, i + 32))}`);
    return list;
  }

  /** The relay's clock, as Unix milliseconds. */
  async relayTime(): Promise<number> {
    const out = await this.ctx.query('@/time');
    if (out.length !== 12) throw new ClientError('BAD_RESPONSE', '@/time must answer 12 bytes');
    const view = new DataView(out.buffer, out.byteOffset, 12);
    return Number(view.getBigUint64(0, false)) * 1000 + Math.floor(view.getUint32(8, false) / 1e6);
  }

  async relayVersion(): Promise<string> {
    return decoder.decode(await this.ctx.query('@/version'));
  }
}

function bytes(payload: Uint8Array | string): Uint8Array {
  return typeof payload === 'string' ? encoder.encode(payload) : payload;
}

function blobKey(key: Uint8Array | string): Uint8Array {
  const k = bytes(key);
  if (k.length === 0 || k.includes(0))
    throw new ClientError('BAD_ADDRESS', 'a blob key is non-empty and contains no 0x00 byte');
  return k;
}
