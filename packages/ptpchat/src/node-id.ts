import { BoundedMap } from '@peerwire/wire';
import { PtpchatError } from './errors.js';

/** A node id: `name@GUID` (spec §2.3), the GUID in lower case. UDP-era ids are a bare GUID. */
export type NodeId = string;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME = /^[A-Za-z0-9]+$/;

export interface ParsedNodeId {
  /** The name before `@`; `''` for a UDP-era bare GUID. */
  readonly name: string;
  /** The GUID, lower case: nodes are keyed on it. */
  readonly guid: string;
}

/** True for a GUID in the 8-4-4-4-12 hex form (any case). */
export function isGuid(text: string): boolean {
  return text.length === 36 && GUID.test(text);
}

/**
 * Parses `name@GUID` (or a bare GUID, accepted on input only). The name is 1 to `maxNameLength`
 * ASCII letters and digits, as the reference checks. Throws `BAD_NODE_ID`.
 */
export function parseNodeId(text: string, maxNameLength = 64): ParsedNodeId {
  if (typeof text !== 'string' || text.length > maxNameLength + 37) {
    throw new PtpchatError('BAD_NODE_ID', 'node id is not a string of a sensible length');
  }
  const known = parsed.get(text);
  if (known !== undefined && known.name.length <= maxNameLength) return known;
  const result = parseUncached(text, maxNameLength);
  parsed.set(text, result);
  return result;
}

/**
 * Node ids parsed lately (a relay parses the same few senders and targets on every message:
 * the regular expressions were several percent of its CPU). Pure memoisation, bounded.
 */
const parsed = new BoundedMap<string, ParsedNodeId>({ maxEntries: 4096, order: 'insertion' });

function parseUncached(text: string, maxNameLength: number): ParsedNodeId {
  const at = text.lastIndexOf('@');
  if (at < 0) {
    if (isGuid(text)) return { name: '', guid: text.toLowerCase() };
    throw new PtpchatError('BAD_NODE_ID', `node id ${JSON.stringify(text)} is not name@GUID`);
  }
  const name = text.slice(0, at);
  const guid = text.slice(at + 1);
  if (name.length === 0 || name.length > maxNameLength || !NAME.test(name) || !isGuid(guid)) {
    throw new PtpchatError('BAD_NODE_ID', `node id ${JSON.stringify(text)} is not name@GUID`);
  }
  return { name, guid: guid.toLowerCase() };
}

/** The canonical form of a node id: the GUID in lower case. Throws `BAD_NODE_ID`. */
export function normalizeNodeId(text: string, maxNameLength = 64): NodeId {
  const { name, guid } = parseNodeId(text, maxNameLength);
  return name ? `${name}@${guid}` : guid;
}

/** The GUID of a node id (lower case), the key nodes are known by. Throws `BAD_NODE_ID`. */
export function guidOf(nodeId: NodeId): string {
  return parseNodeId(nodeId, Number.MAX_SAFE_INTEGER).guid;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A random (version 4) GUID from `random`, in the lower-case hyphenated form. */
export function randomGuid(random: (length: number) => Uint8Array): string {
  const b = random(16);
  if (b.length !== 16)
    throw new PtpchatError('INVALID_ACTION', 'random source returned the wrong length');
  const h = (i: number) => HEX[b[i]!]!;
  const v = HEX[(b[6]! & 0x0f) | 0x40]!;
  const r = HEX[(b[8]! & 0x3f) | 0x80]!;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${v}${h(7)}-${r}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}

/** A fresh node id `name@GUID`. Throws `BAD_NODE_ID` for a name the reference would refuse. */
export function createNodeId(name: string, random: (length: number) => Uint8Array): NodeId {
  return normalizeNodeId(`${name}@${randomGuid(random)}`);
}

/** True when `text` holds a C0 control character or DEL (refused in names). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
