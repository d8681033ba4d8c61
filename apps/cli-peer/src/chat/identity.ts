/**
 * `peerwire chat`'s ptpchat identity, made from the keychain's: the keychain's first signing key
 * signs (and, P-256, decrypts closed-channel keys; an Ed25519 identity's P-256 subkey does), in an
 * ID card that names the node (`ptpchat_node_id`). The node id `name@GUID` is kept beside the
 * keychain (`<keychain>.ptpchat`) so the GUID stays across runs (spec §2.3), with the
 * certificates this peer pinned (`<keychain>.ptpchat-pins`, §7.1).
 */

import { existsSync, readFileSync } from 'node:fs';
import type { IDCard, Keychain } from '@peerwire/crypto';
import {
  createIdentity,
  fromBase64,
  type NodeId,
  type PtpchatIdentity,
  type PtpchatNode,
  type SavedClosedChannel,
  toBase64,
} from '@peerwire/ptpchat';
import {
  loadOrCreateNodeId,
  readPinsFile,
  writeFileAtomic,
  writePinsFile,
} from '@peerwire/ptpchat/node';
import { CliError, EXIT } from '../context.js';

export const nodeIdPath = (keychainFile: string) => `${keychainFile}.ptpchat`;
export const pinsPath = (keychainFile: string) => `${keychainFile}.ptpchat-pins`;
/** The closed channels whose key this peer holds (key, name, members), mode 0600. */
export const channelsPath = (keychainFile: string) => `${keychainFile}.ptpchat-channels`;

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
  readonly closedChannels: SavedClosedChannel[];
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
  return {
    nodeId,
    identity,
    pins: readPinsFile(pinsPath(keychainFile)).pins,
    closedChannels: readClosedChannels(channelsPath(keychainFile)),
  };
}

/** The saved closed channels; an unreadable file or entry is skipped (the engine checks the rest). */
export function readClosedChannels(file: string): SavedClosedChannel[] {
  if (!existsSync(file)) return [];
  try {
    const list = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!Array.isArray(list)) return [];
    return list.flatMap((e: Record<string, unknown>) => {
      try {
        return [
          {
            channelId: String(e.channelId),
            name: String(e.name),
            key: fromBase64(String(e.key)),
            members: Array.isArray(e.members) ? e.members.map(String) : [],
            joined: e.joined === true,
          },
        ];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** Saves the closed channels whose key the node holds (atomically, mode 0600): a restart reads them. */
export function saveClosedChannels(keychainFile: string, node: PtpchatNode): void {
  const list = node
    .closedChannels()
    .map((c) => ({ ...c, key: toBase64(c.key), members: [...c.members] }));
  writeFileAtomic(channelsPath(keychainFile), `${JSON.stringify(list)}\n`);
}

/** Keeps the pinned certificates for the next run (written to a temporary file, then renamed). */
export function savePins(
  keychainFile: string,
  pins: readonly (readonly [string, Uint8Array])[],
): void {
  writePinsFile(pinsPath(keychainFile), pins);
}
