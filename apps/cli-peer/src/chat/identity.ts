/**
 * `peerwire chat`'s ptpchat identity, made from the keychain's: the keychain's first signing key
 * signs (and, P-256, decrypts closed-channel keys; an Ed25519 identity's P-256 subkey does), in an
 * ID card that names the node (`ptpchat_node_id`). The node id `name@GUID` is kept beside the
 * keychain (`<keychain>.ptpchat`) so the GUID stays across runs (spec §2.3), with the
 * certificates this peer pinned (`<keychain>.ptpchat-pins`, §7.1).
 */
import type { IDCard, Keychain } from '@peerwire/crypto';
import { createIdentity, type NodeId, type PtpchatIdentity } from '@peerwire/ptpchat';
import { loadOrCreateNodeId, readPinsFile, writePinsFile } from '@peerwire/ptpchat/node';
import { CliError, EXIT } from '../context.js';

export const nodeIdPath = (keychainFile: string) => `${keychainFile}.ptpchat`;
export const pinsPath = (keychainFile: string) => `${keychainFile}.ptpchat-pins`;

/** ptpchat names are 1-64 ASCII letters and digits (the reference's rule, spec §14). */
const NAME = /^[A-Za-z0-9]{1,64}$/;

/** A ptpchat name from free text (an ID card's `name`): its letters and digits, else `peer`. */
export function nameFrom(text: string | undefined): string {
  const cleaned = (text ?? '').replace(/[^A-Za-z0-9]/g, '').slice(0, 64);
  return cleaned || 'peer';
}

export interface ChatIdentity {
  readonly nodeId: NodeId;
  readonly identity: PtpchatIdentity;
  readonly pins: [guid: string, certificate: Uint8Array][];
}

/**
 * The node id for this keychain: the GUID stored beside it (created on first use), under `name`
 * (`--name`), else the stored name, else the Spot card's `name` meta, else `peer`.
 */
export function chatNodeId(keychainFile: string, name: string | undefined, card: IDCard): NodeId {
  if (name !== undefined && !NAME.test(name)) {
    throw new CliError(
      `--name ${JSON.stringify(name)}: a ptpchat name is 1 to 64 ASCII letters and digits`,
      EXIT.usage,
    );
  }
  const file = nodeIdPath(keychainFile);
  try {
    return loadOrCreateNodeId(
      file,
      (stored) => name ?? (stored || nameFrom(card.meta?.get('name'))),
    ).nodeId;
  } catch (cause) {
    throw new CliError(
      `${file} is not a ptpchat node id (name@GUID); remove it to get a new one`,
      EXIT.failure,
      { cause },
    );
  }
}

/** The ptpchat identity on the keychain's keys. */
export async function chatIdentity(
  keychain: Keychain,
  keychainFile: string,
  nodeId: NodeId,
): Promise<ChatIdentity> {
  const signer = keychain.firstSigner;
  if (!signer) throw new CliError(`the keychain ${keychainFile} holds no signing key`);
  const keys = keychain.keys().filter((k) => k !== signer);
  const identity = await createIdentity(nodeId, { signer, keys });
  return { nodeId, identity, pins: readPinsFile(pinsPath(keychainFile)).pins };
}

/** Keeps the pinned certificates for the next run (written to a temporary file, then renamed). */
export function savePins(
  keychainFile: string,
  pins: readonly (readonly [string, Uint8Array])[],
): void {
  writePinsFile(pinsPath(keychainFile), pins);
}
