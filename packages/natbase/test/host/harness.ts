// A host agent under test, with a scripted base and scripted peers built from the codecs.

import {
  HostAgent,
  type HostAgentAction,
  type HostAgentEvent,
  type HostAgentLimits,
} from '../../src/host/index.js';
import {
  type BaseToPeerMessage,
  decodePeerToBase,
  decodePeerToPeer,
  type Endpoint,
  encodeBaseToPeer,
  encodePeerToPeer,
  encodeRecord,
  formatEndpoint,
  type Identity,
  type PeerToBaseMessage,
  type PeerToPeerMessage,
  parseEndpoint,
  signPeerHello,
} from '../../src/index.js';
import { seededRandom, testIdentity } from '../helpers.js';

export const BASE1 = parseEndpoint('198.51.100.1:443');
export const BASE2 = parseEndpoint('198.51.100.2:443');
export const BASE_UDP = [parseEndpoint('198.51.100.1:5582'), parseEndpoint('198.51.100.1:5583')];
export const COOKIE = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

export class AgentHarness {
  readonly agent: HostAgent;
  readonly events: HostAgentEvent[] = [];
  now = 1_000;
  /** Every action the agent asked for, in order. */
  readonly log: HostAgentAction[] = [];

  constructor(
    readonly identity: Identity = testIdentity(11),
    opts: { bases?: Endpoint[]; limits?: Partial<HostAgentLimits>; local?: Endpoint[] } = {},
  ) {
    this.agent = new HostAgent({
      identity,
      bases: opts.bases ?? [BASE1, BASE2],
      sourcePort: 5582,
      localAddresses: opts.local ?? [parseEndpoint('192.168.1.10:5582')],
      random: seededRandom(99),
      limits: opts.limits,
      onEvent: (e) => this.events.push(e),
    });
  }

  take(actions: HostAgentAction[]): HostAgentAction[] {
    this.log.push(...actions);
    return actions;
  }

  start(): HostAgentAction[] {
    return this.take(this.agent.start(this.now));
  }

  /** Starts, and lets conn 1 (BASE1) say HELLO and STATE. */
  connected(): HostAgentAction[] {
    this.start();
    this.take(this.agent.tcpConnected(1, this.now));
    return this.baseTcp(
      1,
      { kind: 'HELLO', cookie: COOKIE },
      { kind: 'STATE', addresses: BASE_UDP },
    );
  }

  baseTcp(conn: number, ...msgs: BaseToPeerMessage[]): HostAgentAction[] {
    const bytes = msgs.map((m) => encodeRecord(encodeBaseToPeer(m)));
    const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of bytes) {
      all.set(b, at);
      at += b.length;
    }
    return this.take(this.agent.tcpData(conn, all, this.now));
  }

  baseUdp(msg: BaseToPeerMessage, from = BASE_UDP[0]!): HostAgentAction[] {
    return this.take(this.agent.udpData(from, encodeBaseToPeer(msg), this.now));
  }

  udp(from: Endpoint, bytes: Uint8Array): HostAgentAction[] {
    return this.take(this.agent.udpData(from, bytes, this.now));
  }

  /** A peer's HELLO or HELLO_REPLY, from `peer` to this agent. */
  helloFrom(
    peer: Identity,
    from: Endpoint,
    kind: 'HELLO' | 'HELLO_REPLY',
    cookie: Uint8Array,
    yourId = this.identity.deviceId,
  ): HostAgentAction[] {
    return this.udp(from, encodePeerToPeer(signPeerHello(kind, peer, yourId, cookie)));
  }

  timer(ms: number): HostAgentAction[] {
    this.now += ms;
    return this.take(this.agent.timer(this.now));
  }

  drops(reason?: string): HostAgentEvent[] {
    return this.events.filter((e) => e.type === 'dropped' && (!reason || e.reason === reason));
  }
}

/** The P2B messages the actions send to the base over TCP. */
export function toBaseTcp(actions: readonly HostAgentAction[]): PeerToBaseMessage[] {
  return actions.flatMap((a) =>
    a.type === 'send' && a.transport === 'tcp' ? [decodePeerToBase(a.bytes.subarray(5))] : [],
  );
}

/** The UDP datagrams to `to`-addresses that are base UDP addresses, decoded as P2B. */
export function toBaseUdp(
  actions: readonly HostAgentAction[],
): { to: string; msg: PeerToBaseMessage }[] {
  const base = new Set(BASE_UDP.map(formatEndpoint));
  return actions.flatMap((a) =>
    a.type === 'send' && a.transport === 'udp' && base.has(formatEndpoint(a.to))
      ? [{ to: formatEndpoint(a.to), msg: decodePeerToBase(a.bytes) }]
      : [],
  );
}

/** The UDP datagrams to peers (not to a base address), decoded as P2P. */
export function toPeers(
  actions: readonly HostAgentAction[],
): { to: string; msg: PeerToPeerMessage }[] {
  const base = new Set(BASE_UDP.map(formatEndpoint));
  return actions.flatMap((a) =>
    a.type === 'send' && a.transport === 'udp' && !base.has(formatEndpoint(a.to))
      ? [{ to: formatEndpoint(a.to), msg: decodePeerToPeer(a.bytes) }]
      : [],
  );
}

export function hellos(actions: readonly HostAgentAction[]): { to: string; cookie: Uint8Array }[] {
  return toPeers(actions).flatMap(({ to, msg }) =>
    msg.kind === 'HELLO' ? [{ to, cookie: msg.helloCookie }] : [],
  );
}
