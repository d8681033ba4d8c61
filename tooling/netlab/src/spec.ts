// The lab description and the address plan it is laid out on.
import { NetlabError } from './errors.js';

/**
 * The NAT kinds a router namespace can play.
 * - `eim`: endpoint-independent mapping (plain `masquerade`: Linux keeps the source port, so one
 *   socket has one public address:port toward every destination); filtering is address- and
 *   port-dependent (only replies to what the host sent get in).
 * - `symmetric`: `masquerade fully-random`: a fresh random public port for every new destination.
 */
export type NatKind = 'eim' | 'symmetric';

export interface NatSpec {
  /** The router's node name. */
  readonly name: string;
  readonly kind: NatKind;
  /**
   * The hosts on the router's private segment (one bridge, so they share an L2 segment): a count
   * (named `<nat name>1`, `<nat name>2`, ...) or explicit names. Default 1.
   */
  readonly hosts?: number | readonly string[];
}

export interface LabSpec {
  /** Nodes directly on the public segment (rendezvous nodes, base servers, reflectors). */
  readonly public?: readonly string[];
  /** NAT routers, each with its own private segment of hosts. */
  readonly nats?: readonly NatSpec[];
}

/** At most this many public nodes (their addresses are 203.0.113.10 to .89). */
export const MAX_PUBLIC_NODES = 80;
/** At most this many NAT routers (their public addresses are 203.0.113.100 to .149). */
export const MAX_NATS = 50;
/** At most this many hosts behind one NAT (their addresses are 10.0.<n>.10 to .99). */
export const MAX_HOSTS_PER_NAT = 90;

/** The public segment. Every public node and every NAT's public side has an address in it. */
export const PUBLIC_PREFIX = '203.0.113';
export const PUBLIC_PREFIX_LENGTH = 24;
/** The private segment behind NAT number n (1-based): 10.0.<n>.0/24, router at .1. */
export const PRIVATE_PREFIX_LENGTH = 24;

/** Node names: lowercase letters, digits, `_` and `-`, starting with a letter, 1 to 16 chars. */
export const NODE_NAME = /^[a-z][a-z0-9_-]{0,15}$/;
const RESERVED_NAMES = new Set(['wan']);

export type NodeKind = 'public' | 'nat' | 'host';

/** One node of the plan, with the address it starts with. */
export interface PlannedNode {
  readonly name: string;
  readonly kind: NodeKind;
  /** Public nodes: 0-based index among public nodes; NATs: 1-based NAT number; hosts: 0-based index behind their NAT. */
  readonly index: number;
  readonly address: string;
  /** For hosts: their NAT's name. */
  readonly nat?: string;
  /** For NATs. */
  readonly natKind?: NatKind;
  /** For NATs: their hosts' names, in order. */
  readonly hosts?: readonly string[];
}

export function publicNodeAddress(index: number): string {
  return `${PUBLIC_PREFIX}.${10 + index}`;
}
export function natPublicAddress(natNumber: number): string {
  return `${PUBLIC_PREFIX}.${99 + natNumber}`;
}
export function natPrivateAddress(natNumber: number): string {
  return `10.0.${natNumber}.1`;
}
export function hostAddress(natNumber: number, index: number): string {
  return `10.0.${natNumber}.${10 + index}`;
}
/** Addresses handed out by `changeAddress`: public ones from 203.0.113.150-.254, private from .100-.254. */
export const PUBLIC_SPARE_RANGE = { first: 150, last: 254 } as const;
export const PRIVATE_SPARE_RANGE = { first: 100, last: 254 } as const;

function bad(message: string): NetlabError {
  return new NetlabError('NETLAB_BAD_SPEC', message);
}

/** Validates a lab description and lays it out on the address plan. */
export function planLab(spec: LabSpec): PlannedNode[] {
  const nodes: PlannedNode[] = [];
  const seen = new Set<string>();
  const claim = (name: unknown, what: string): string => {
    if (typeof name !== 'string' || !NODE_NAME.test(name)) {
      throw bad(`${what} name ${JSON.stringify(name)} must match ${NODE_NAME}`);
    }
    if (RESERVED_NAMES.has(name)) throw bad(`${what} name ${JSON.stringify(name)} is reserved`);
    if (seen.has(name)) throw bad(`node name ${JSON.stringify(name)} is used twice`);
    seen.add(name);
    return name;
  };
  const publics = spec.public ?? [];
  const nats = spec.nats ?? [];
  if (publics.length > MAX_PUBLIC_NODES) {
    throw bad(`${publics.length} public nodes; at most ${MAX_PUBLIC_NODES}`);
  }
  if (nats.length > MAX_NATS) throw bad(`${nats.length} NATs; at most ${MAX_NATS}`);
  if (publics.length === 0 && nats.length === 0) throw bad('a lab needs at least one node');
  publics.forEach((name, index) => {
    nodes.push({
      name: claim(name, 'public node'),
      kind: 'public',
      index,
      address: publicNodeAddress(index),
    });
  });
  nats.forEach((nat, i) => {
    const natNumber = i + 1;
    const natName = claim(nat.name, 'NAT');
    if (nat.kind !== 'eim' && nat.kind !== 'symmetric') {
      throw bad(
        `NAT ${natName}: kind ${JSON.stringify(nat.kind)} is neither 'eim' nor 'symmetric'`,
      );
    }
    const hostSpec = nat.hosts ?? 1;
    let hostNames: readonly string[];
    if (typeof hostSpec === 'number') {
      if (!Number.isInteger(hostSpec) || hostSpec < 0) {
        throw bad(`NAT ${natName}: hosts must be a count >= 0 or a list of names`);
      }
      hostNames = Array.from({ length: hostSpec }, (_, k) => `${natName}${k + 1}`);
    } else {
      hostNames = hostSpec;
    }
    if (hostNames.length > MAX_HOSTS_PER_NAT) {
      throw bad(`NAT ${natName}: ${hostNames.length} hosts; at most ${MAX_HOSTS_PER_NAT}`);
    }
    const hosts = hostNames.map((h) => claim(h, `host (behind ${natName})`));
    nodes.push({
      name: natName,
      kind: 'nat',
      index: natNumber,
      address: natPublicAddress(natNumber),
      natKind: nat.kind,
      hosts,
    });
    hosts.forEach((name, index) => {
      nodes.push({
        name,
        kind: 'host',
        index,
        address: hostAddress(natNumber, index),
        nat: natName,
      });
    });
  });
  return nodes;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** True when `address` is a dotted-quad IPv4 address. */
export function isIpv4(address: string): boolean {
  const m = IPV4.exec(address);
  return m?.slice(1).every((part) => Number(part) <= 255 && String(Number(part)) === part) === true;
}
