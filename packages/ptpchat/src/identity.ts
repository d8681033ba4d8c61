import {
  type CryptoBackend,
  generatePrivateKey,
  IDCard,
  Keychain,
  type PrivateKey,
} from '@peerwire/crypto';
import { NODE_ID_META_KEY } from './certificates.js';
import { type NodeId, normalizeNodeId } from './node-id.js';
import type { PtpchatIdentity } from './types.js';

/**
 * A ptpchat identity for `nodeId`: an ID card naming the node (meta `ptpchat_node_id`, which
 * binds the GUID to the key, spec §14), with `signer` (default: a new Ed25519 key) and an X25519
 * key to receive closed-channel keys, signed by `signer`. `now` is Unix seconds.
 */
export async function createIdentity(
  nodeId: NodeId,
  options: {
    signer?: PrivateKey;
    keys?: readonly PrivateKey[];
    now?: number;
    backend?: CryptoBackend;
  } = {},
): Promise<PtpchatIdentity> {
  const id = normalizeNodeId(nodeId);
  const b = options.backend ? { backend: options.backend } : {};
  const signer = options.signer ?? (await generatePrivateKey('Ed25519', b));
  const extra =
    options.keys ?? (signer.type === 'Ed25519' ? [await generatePrivateKey('X25519', b)] : []);
  const keychain = new Keychain([signer, ...extra]);
  const card = IDCard.create(signer.publicKey, {
    ...(options.now !== undefined ? { now: options.now } : {}),
    meta: new Map([[NODE_ID_META_KEY, id]]),
  }).addKeychain(keychain, options.now !== undefined ? { now: options.now } : undefined);
  return { signer, keychain, card, certificate: await card.sign(signer, b) };
}
