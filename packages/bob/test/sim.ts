// An in-memory bob network: one relay core, any number of sender and receiver cores, and the
// secure room, wired together without sockets. Deterministic: time and randomness are given.
import { concatBytes } from '@peerwire/wire';
import {
  BobClient,
  BobRelay,
  type BobRelayEvent,
  type BobRelayLimits,
  type BobServer,
  type HandshakeResult,
  type PeerEvent,
  type RelayAction,
} from '../src/index.js';

export interface SimPeer {
  readonly name: string;
  readonly conn: number;
  readonly identity: string;
  readonly core: BobServer | BobClient;
  readonly events: PeerEvent[];
  /** Bytes the relay wrote to this peer, in order. */
  readonly received: Uint8Array[];
  closed: boolean;
  result?: HandshakeResult;
}

export class Sim {
  readonly relay: BobRelay;
  readonly relayEvents: BobRelayEvent[] = [];
  readonly peers = new Map<number, SimPeer>();
  /** Every action of the relay, in order (for byte-exact checks). */
  readonly log: RelayAction[] = [];
  now = 0;
  #nextConn = 1;
  /** Receivers answer agreements with this (default: accept). */
  decide: (peer: SimPeer, uid: number, identity: string) => boolean = () => true;

  constructor(limits: BobRelayLimits = {}) {
    this.relay = new BobRelay({ limits, onEvent: (e) => this.relayEvents.push(e) });
  }

  add(name: string, core: BobServer | BobClient, port = 40000 + this.#nextConn): SimPeer {
    const conn = this.#nextConn++;
    const identity = `127.0.0.1:${port}`;
    const peer: SimPeer = { name, conn, identity, core, events: [], received: [], closed: false };
    this.peers.set(conn, peer);
    this.apply(this.relay.connect(conn, { identity, address: '127.0.0.1' }, this.now));
    this.deliver(peer, core.start());
    return peer;
  }

  /** Handles a peer's events: sends go to the relay, agreements get decided. */
  deliver(peer: SimPeer, events: PeerEvent[]): void {
    for (const e of events) {
      peer.events.push(e);
      if (e.type === 'send') this.apply(this.relay.receive(peer.conn, e.bytes, this.now));
      else if (e.type === 'done') peer.result = e.result;
      else if (e.type === 'agreement' && peer.core instanceof BobClient) {
        const yes = this.decide(peer, e.uid, e.identity);
        this.deliver(peer, yes ? peer.core.accept(e.uid) : peer.core.refuse(e.uid));
      }
    }
  }

  /**
   * Queues relay actions and runs them in order: like TCP, what the relay wrote to a peer first
   * arrives first, even when handling it makes the relay write more.
   */
  apply(actions: RelayAction[]): void {
    this.#queue.push(...actions);
    if (this.#running) return;
    this.#running = true;
    try {
      for (let a = this.#queue.shift(); a; a = this.#queue.shift()) this.#run(a);
    } finally {
      this.#running = false;
    }
  }

  #queue: RelayAction[] = [];
  #running = false;

  #run(a: RelayAction): void {
    this.log.push(a);
    if (a.type === 'send') {
      const peer = this.peers.get(a.conn);
      if (!peer || peer.closed) return;
      peer.received.push(a.bytes);
      this.deliver(peer, peer.core.receive(a.bytes));
    } else if (a.type === 'close') {
      const peer = this.peers.get(a.conn);
      if (peer && !peer.closed) {
        peer.closed = true;
        this.apply(this.relay.disconnect(a.conn, this.now));
      }
    }
  }

  tick(ms: number): void {
    this.now += ms;
    this.apply(this.relay.tick(this.now));
  }

  bytesTo(peer: SimPeer): Uint8Array {
    return concatBytes(...peer.received);
  }
}

/** A deterministic random source that returns the given buffers in turn, then a counter. */
export function scripted(...buffers: Uint8Array[]): (n: number) => Uint8Array {
  let i = 0;
  let counter = 1;
  return (n) => {
    const next = buffers[i++];
    if (next) return next.slice(0, n);
    return new Uint8Array(n).fill(counter++ & 0xff);
  };
}
