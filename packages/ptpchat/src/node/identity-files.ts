/**
 * The files that keep a ptpchat node the same node across restarts (Node I/O, shared by the
 * relay and `peerwire chat`): its node id (one line `name@GUID`: the GUID is what peers key on,
 * spec §2.3) and the certificates it pinned (a JSON object GUID → base64 certificate, §7.1).
 * Files are written with mode 0600; pins atomically (a temporary file renamed over the old one).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fromBase64, toBase64 } from '../base64.js';
import { PtpchatError } from '../errors.js';
import { createNodeId, isGuid, type NodeId, normalizeNodeId, parseNodeId } from '../node-id.js';

/** A node id file's content: `created` when this call made it. */
export interface StoredNodeId {
  readonly nodeId: NodeId;
  readonly created: boolean;
}

/**
 * The node id kept in `file`, created there (a fresh GUID) when absent. `name(stored)` picks
 * the name from the stored one (`undefined` for a new file, `''` for a bare GUID); the file is
 * rewritten when the name changes, never the GUID. Throws `BAD_NODE_ID` for a file that does
 * not hold a node id, naming it.
 */
export function loadOrCreateNodeId(
  file: string,
  name: (stored: string | undefined) => string,
  random: (length: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n)),
): StoredNodeId {
  if (!existsSync(file)) {
    const nodeId = createNodeId(name(undefined), random);
    writeFileSync(file, `${nodeId}\n`, { mode: 0o600, flag: 'wx' });
    return { nodeId, created: true };
  }
  const text = readFileSync(file, 'utf8').trim();
  let stored: { name: string; guid: string };
  try {
    stored = parseNodeId(text);
  } catch (cause) {
    throw new PtpchatError('BAD_NODE_ID', `${file} is not a ptpchat node id (name@GUID)`, {
      cause,
    });
  }
  const nodeId = normalizeNodeId(`${name(stored.name)}@${stored.guid}`);
  if (nodeId !== text) writeFileSync(file, `${nodeId}\n`, { mode: 0o600 });
  return { nodeId, created: false };
}

/** Pins read from a file: the good entries, and what was wrong with the rest, if anything. */
export interface StoredPins {
  readonly pins: [guid: string, certificate: Uint8Array][];
  readonly problem?: string;
}

/**
 * The pinned certificates kept in `file` (none when it is absent). Pins are a cache of what
 * peers showed, so a bad file or entry is not fatal: what is readable is kept, `problem` says
 * what was not.
 */
export function readPinsFile(file: string): StoredPins {
  if (!existsSync(file)) return { pins: [] };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { pins: [], problem: `not JSON (${(error as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { pins: [], problem: 'not a JSON object' };
  const pins: [string, Uint8Array][] = [];
  const bad: string[] = [];
  for (const [guid, cert] of Object.entries(value)) {
    try {
      if (!isGuid(guid) || typeof cert !== 'string') throw new Error('not GUID → base64');
      pins.push([guid.toLowerCase(), fromBase64(cert)]);
    } catch {
      bad.push(guid);
    }
  }
  return bad.length === 0
    ? { pins }
    : { pins, problem: `${bad.length} unreadable pin(s): ${bad.slice(0, 3).join(', ')}` };
}

/** Writes `data` to `file` (mode 0600) atomically: a temporary file renamed over the old one. */
export function writeFileAtomic(file: string, data: string): void {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Writes the pinned certificates (`node.certificatePins()`) to `file`, atomically, mode 0600. */
export function writePinsFile(
  file: string,
  pins: readonly (readonly [string, Uint8Array])[],
): void {
  const json = Object.fromEntries(pins.map(([guid, cert]) => [guid, toBase64(cert)]));
  writeFileAtomic(file, `${JSON.stringify(json)}\n`);
}
