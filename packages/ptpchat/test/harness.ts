// One engine driven by hand: fake neighbours send it raw messages, the test reads its outputs.
import {
  createIdentity,
  type OutgoingMessage,
  type PtpchatIdentity,
  type PtpchatLimits,
  PtpchatNode,
  type PtpchatNodeOptions,
  type PtpchatOutput,
  randomGuid,
} from '../src/index.js';
import { randomBytesFrom, seededRandom, T0 } from './sim.js';

export const NODE = 'node@11111111-1111-4111-8111-111111111111';
export const N1 = 'one@22222222-2222-4222-8222-222222222222';
export const N2 = 'two@33333333-3333-4333-8333-333333333333';
export const N3 = 'three@44444444-4444-4444-8444-444444444444';
export const FAR = 'far@55555555-5555-4555-8555-555555555555';
export const CH = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

const identities = new Map<string, Promise<PtpchatIdentity>>();
/** A cached identity per node id (key generation is the slow part of a test). */
export function identityOf(nodeId: string): Promise<PtpchatIdentity> {
  let id = identities.get(nodeId);
  if (!id) {
    id = createIdentity(nodeId, { now: Math.floor(T0 / 1000) - 60 });
    identities.set(nodeId, id);
  }
  return id;
}

export interface Probe {
  readonly node: PtpchatNode;
  readonly out: PtpchatOutput[];
  now: number;
  /** Messages sent on a link (or all), in order. */
  sent(peer?: string): OutgoingMessage[];
  /** Clears the recorded outputs. */
  clear(): void;
  /** Opens a link `peer` and says HELLO from `nodeId` on it. */
  neighbour(peer: string, nodeId: string, remoteAddress?: string, attributes?: object): void;
  /** A raw message from a neighbour link. */
  from(peer: string, message: object): void;
  /** Advances the clock by `ms` and fires the timer as often as it asks in that span. */
  advance(ms: number): Promise<void>;
  events<T extends PtpchatOutput['type']>(type: T): Extract<PtpchatOutput, { type: T }>[];
}

const rand = randomBytesFrom(seededRandom(99));

export function msgId(): string {
  return randomGuid(rand);
}

/** A routed message in the TCP-era envelope. */
export function envelope(
  verb: string,
  data: unknown,
  o: { sender?: string; target?: string | null; ttl?: number; flood?: boolean; id?: string } = {},
): object {
  return {
    msg_type: verb,
    msg_data: data,
    ttl: o.ttl ?? 32,
    flood: o.flood ?? false,
    sender_id: o.sender ?? N1,
    target_id: o.target ?? null,
    msg_id: o.id ?? msgId(),
  };
}

export async function probe(
  limits: Partial<PtpchatLimits> = {},
  extra: Partial<PtpchatNodeOptions> = {},
  nodeId = NODE,
): Promise<Probe> {
  const out: PtpchatOutput[] = [];
  const identity = await identityOf(nodeId);
  let timerAt = Number.NaN;
  const node = new PtpchatNode({
    nodeId,
    identity,
    random: rand,
    limits,
    udpPort: 9001,
    ...extra,
    output: (o) => {
      if (o.type === 'timer') timerAt = o.at;
      out.push(o);
    },
  });
  const p: Probe = {
    node,
    out,
    now: T0,
    sent: (peer) =>
      out.flatMap((o) =>
        o.type === 'send' && (peer === undefined || o.peer === peer) ? [o.message] : [],
      ),
    clear: () => {
      out.length = 0;
    },
    neighbour: (peer, id, remoteAddress, attributes) => {
      node.peerConnected(
        peer,
        { transport: 'tcp', ...(remoteAddress ? { remoteAddress } : {}) },
        p.now,
      );
      node.receive(
        peer,
        envelope(
          'HELLO',
          { node_id: id, version: 't', attributes: { node_type: 'client', ...attributes } },
          { sender: id, ttl: 1 },
        ),
        p.now,
      );
    },
    from: (peer, message) => node.receive(peer, message, p.now),
    advance: async (ms) => {
      const end = p.now + ms;
      for (;;) {
        await node.idle();
        if (!(timerAt <= end)) break;
        p.now = Math.max(p.now, timerAt);
        timerAt = Number.NaN;
        node.timer(p.now);
      }
      p.now = end;
      await node.idle();
    },
    events: <T extends PtpchatOutput['type']>(type: T) =>
      out.filter((o): o is Extract<PtpchatOutput, { type: T }> => o.type === type),
  };
  return p;
}
