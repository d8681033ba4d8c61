/**
 * The relay's ptpchat identity, kept in `<dataDir>/ptpchat`: its node id (`node-id`, the GUID
 * stays across restarts, spec §2.3), its keys (`keychain`, a `@peerwire/crypto` keychain file,
 * mode 0600) and the certificates it pinned (`pins.json`, so pins persist, §7.1).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePrivateKey, Keychain } from '@peerwire/crypto';
import { loadKeychain, saveKeychain } from '@peerwire/crypto/node';
import {
  createIdentity,
  createNodeId,
  fromBase64,
  isGuid,
  type NodeId,
  type PtpchatIdentity,
  parseNodeId,
  toBase64,
} from '@peerwire/ptpchat';
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
  if (existsSync(idFile)) {
    const text = readFileSync(idFile, 'utf8').trim();
    let guid: string;
    try {
      guid = parseNodeId(text).guid;
    } catch {
      throw new PtpchatIdentityError(
        `${idFile} is not a ptpchat node id (name@GUID); move it away to create a new one`,
      );
    }
    nodeId = `${name}@${guid}`;
    // The name may change with the config; the GUID (what peers key on) never does.
    if (text !== nodeId) writeFileSync(idFile, `${nodeId}\n`, { mode: 0o600 });
  } else {
    nodeId = createNodeId(name, random);
    writeFileSync(idFile, `${nodeId}\n`, { mode: 0o600, flag: 'wx' });
    logger.info({ nodeId }, 'created a new ptpchat node id');
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
  if (!existsSync(file)) return [];
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('not a JSON object');
    return Object.entries(value).map(([guid, cert]) => {
      if (typeof cert !== 'string') throw new Error(`pin ${guid} is not a string`);
      if (!isGuid(guid)) throw new Error(`pin key ${guid} is not a GUID`);
      return [guid, fromBase64(cert)] as [string, Uint8Array];
    });
  } catch (error) {
    // Pins are a cache of what peers showed: a bad file costs re-fetching them, not the start.
    logger.warn({ file, detail: (error as Error).message }, 'ignoring unreadable ptpchat pins');
    return [];
  }
}

/** Writes the pinned certificates (atomically: a temporary file renamed over the old one). */
export function savePins(dir: string, pins: readonly (readonly [string, Uint8Array])[]): void {
  const file = join(dir, PTPCHAT_PINS_FILE);
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const json = Object.fromEntries(pins.map(([guid, cert]) => [guid, toBase64(cert)]));
  writeFileSync(tmp, `${JSON.stringify(json)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
