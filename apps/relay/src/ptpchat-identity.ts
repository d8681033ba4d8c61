/**
 * The relay's ptpchat identity, kept in `<dataDir>/ptpchat`: its node id (`node-id`, the GUID
 * stays across restarts, spec §2.3), its keys (`keychain`, a `@peerwire/crypto` keychain file,
 * mode 0600) and the certificates it pinned (`pins.json`, so pins persist, §7.1).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generatePrivateKey, Keychain } from '@peerwire/crypto';
import { loadKeychain, saveKeychain } from '@peerwire/crypto/node';
import { createIdentity, createNodeId, type NodeId, type PtpchatIdentity } from '@peerwire/ptpchat';
import { loadOrCreateNodeId, readPinsFile, writePinsFile } from '@peerwire/ptpchat/node';
import type { Logger } from 'pino';
import { PtpchatStartError } from './errors.js';

export const PTPCHAT_NODE_ID_FILE = 'node-id';
export const PTPCHAT_KEYCHAIN_FILE = 'keychain';
export const PTPCHAT_PINS_FILE = 'pins.json';

const random = (n: number) => new Uint8Array(randomBytes(n));

/** A file under the ptpchat directory that is not what it should be: the relay does not start. */
export class PtpchatIdentityError extends PtpchatStartError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PTPCHAT_IDENTITY', message, options);
  }
}

export interface LoadedIdentity {
  readonly nodeId: NodeId;
  readonly identity: PtpchatIdentity;
  readonly pins: [guid: string, certificate: Uint8Array][];
}

/** A throwaway identity (`--memory`): a fresh GUID and keys, nothing written. */
export async function memoryIdentity(name: string): Promise<LoadedIdentity> {
  const nodeId = createNodeId(name, random);
  return { nodeId, identity: await createIdentity(nodeId), pins: [] };
}

/** The identity kept in `dir`, created there on first start. */
export async function loadOrCreateIdentity(
  dir: string,
  name: string,
  logger: Logger,
): Promise<LoadedIdentity> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const idFile = join(dir, PTPCHAT_NODE_ID_FILE);
  const keyFile = join(dir, PTPCHAT_KEYCHAIN_FILE);
  let nodeId: NodeId;
  try {
    // The name follows the config; the GUID (what peers key on) never changes.
    const stored = loadOrCreateNodeId(idFile, () => name, random);
    nodeId = stored.nodeId;
    if (stored.created) logger.info({ nodeId }, 'created a new ptpchat node id');
  } catch (cause) {
    throw new PtpchatIdentityError(
      `${idFile} is not a ptpchat node id (name@GUID); move it away to create a new one`,
      { cause },
    );
  }
  let keychain: Keychain;
  if (existsSync(keyFile)) {
    try {
      keychain = await loadKeychain(keyFile);
    } catch (cause) {
      throw new PtpchatIdentityError(
        `${keyFile} is not a readable keychain (${(cause as Error).message}); move it away to create new keys`,
        { cause },
      );
    }
  } else {
    keychain = new Keychain([
      await generatePrivateKey('Ed25519'),
      await generatePrivateKey('X25519'),
    ]);
    await saveKeychain(keyFile, keychain);
    logger.info({ file: keyFile }, 'created new ptpchat keys');
  }
  const signer = keychain.firstSigner;
  if (!signer) throw new PtpchatIdentityError(`${keyFile} holds no signing key`);
  const keys = keychain.keys().filter((k) => k !== signer);
  const identity = await createIdentity(nodeId, { signer, keys });
  return { nodeId, identity, pins: readPins(join(dir, PTPCHAT_PINS_FILE), logger) };
}

function readPins(file: string, logger: Logger): [string, Uint8Array][] {
  const { pins, problem } = readPinsFile(file);
  // Pins are a cache of what peers showed: a bad file costs re-fetching them, not the start.
  if (problem !== undefined)
    logger.warn({ file, detail: problem }, 'ignoring unreadable ptpchat pins');
  return pins;
}

/** Writes the pinned certificates (atomically: a temporary file renamed over the old one). */
export function savePins(dir: string, pins: readonly (readonly [string, Uint8Array])[]): void {
  writePinsFile(join(dir, PTPCHAT_PINS_FILE), pins);
}
