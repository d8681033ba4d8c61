import { parseTarget, type Target } from '@peerwire/address';
import {
  BoundedMap,
  decodeInstantMessage,
  encodeInstantMessage,
  hasFlag,
  type InstantMessage,
  MsgFlag,
  utf8Encode,
} from '@peerwire/wire';
import type { RelayBus } from './bus.js';
import type { Connection } from './connection.js';
import type { RelayContext } from './context.js';
import type { GroupRegistry } from './group-registry.js';

/**
 * Where packets go: the presence table (online connections by identity), recipient targets,
 * reply routes, local delivery and the cluster bus.
 *
 * This is the seam a cluster plugs into. Presence changes go out through `RelayBus.announce`;
 * a target with no local route is handed to `RelayBus.deliver`; packets from other relays come
 * back in through `deliverFromBus`, which only ever delivers locally. Nothing else in the core
 * looks at who is online where.
 */
export class Router {
  /** identity hash → its online connections, oldest first */
  readonly #byIdentity = new Map<string, Connection[]>();
  /**
   * Parsed recipient targets (recipients repeat; parsing validates a hash each time), at most
   * `targetCacheSize`, the oldest forgotten first (no reordering on the hot path's lookups).
   */
  readonly #targets: BoundedMap<string, Target | null>;
  /**
   * `<identity hash> <request id>` → the connection that sent the request, for identities with
   * several connections, oldest first (see `rememberReplyRoute`).
   */
  readonly #replyRoutes: BoundedMap<string, ReplyRoute>;

  constructor(
    readonly ctx: RelayContext,
    readonly bus: RelayBus,
    readonly groups: GroupRegistry,
    /** Every connection of this relay (online or not) by client id, for `c.` targets. */
    readonly connections: ReadonlyMap<string, Connection>,
  ) {
    this.#targets = new BoundedMap({
      maxEntries: ctx.limits.targetCacheSize,
      order: 'insertion',
    });
    // at most `maxReplyRoutes`, each for `replyRouteTtlMs`; a full map forgets the oldest
    this.#replyRoutes = new BoundedMap({
      maxEntries: ctx.limits.maxReplyRoutes,
      order: 'insertion',
      ttlMs: ctx.limits.replyRouteTtlMs,
      clock: ctx.clock,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Presence

  /** Online connections of an identity (undefined when it has none). */
  connectionsOf(hash: string): readonly Connection[] | undefined {
    return this.#byIdentity.get(hash);
  }

  /** A connection that just went online: route to it, and tell the bus. */
  online(conn: Connection): void {
    const list = this.#byIdentity.get(conn.hash);
    if (list) list.push(conn);
    else this.#byIdentity.set(conn.hash, [conn]);
    this.groups.addCardMember(conn.hash, conn.groups);
    this.ctx.stats.online++;
    this.bus.announce?.({ type: 'online', cid: conn.cid, hash: conn.hash, groups: conn.groups });
  }

  /** A connection that stopped being online (closed, or about to re-enter with new groups). */
  offline(conn: Connection): void {
    const list = this.#byIdentity.get(conn.hash);
    if (list) {
      const i = list.indexOf(conn);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#byIdentity.delete(conn.hash);
    }
    if (!this.#byIdentity.has(conn.hash)) this.groups.removeCardMember(conn.hash, conn.groups);
    this.ctx.stats.online--;
    this.bus.announce?.({ type: 'offline', cid: conn.cid, hash: conn.hash, groups: conn.groups });
  }

  /** Identity hashes of the members of a group; only connected ones when `online`. */
  groupMembers(group: string, online: boolean): string[] {
    const list = this.groups.members(group);
    return online ? list.filter((h) => this.#byIdentity.has(h)) : list;
  }

  // -------------------------------------------------------------------------------------------
  // Targets

  /** The target of a recipient's first segment, or null when it does not parse (cached). */
  parseTarget(text: string): Target | null {
    let target = this.#targets.get(text);
    if (target === undefined) {
      try {
        target = parseTarget(text);
      } catch {
        target = null;
      }
      this.#targets.set(text, target);
    }
    return target;
  }

  /** Number of parsed targets cached now (at most `targetCacheSize`). */
  get cachedTargets(): number {
    return this.#targets.size;
  }

  /**
   * Responses go to `k.<hash>/…` like anything else, and the relay would pick any connection
   * of that identity: with two (a `peerwire spot listen` and a query from another terminal on
   * the same keychain), half the answers would reach the connection that did not ask and be
   * dropped there. So while an identity has several connections, the relay remembers who sent
   * each request and routes its response back to that connection if it is still online.
   */
  rememberReplyRoute(conn: Connection, id: Uint8Array): void {
    this.#remember(conn.hash, id, { conn });
  }

  #remember(hash: string, id: Uint8Array, to: ReplyRoute): void {
    this.#replyRoutes.set(replyRouteKey(hash, id), to); // a repeated id moves to the end
  }

  /** Live connections of an identity across the cluster (local ones plus the bus's view). */
  #spread(hash: string): number {
    const local = this.#byIdentity.get(hash)?.length ?? 0;
    return this.bus.remote === undefined ? local : local + this.bus.remote({ type: 'k', hash });
  }

  /** The remembered asker of request `id` of `hash`: a local connection or another relay. */
  #takeReplyRoute(hash: string, id: Uint8Array): Connection | string | undefined {
    if (this.#replyRoutes.size === 0) return undefined;
    const key = replyRouteKey(hash, id);
    const route = this.#replyRoutes.get(key); // undefined once expired
    if (route === undefined) return undefined;
    this.#replyRoutes.delete(key);
    if (route.server !== undefined) return route.server;
    const conn = route.conn;
    return conn?.state === 'online' && conn.hash === hash ? conn : undefined;
  }

  /**
   * Picks the local connection a target resolves to, `BUS` when the draw over the cluster (or a
   * srv hint naming another relay) picks a candidate on another relay, or undefined.
   */
  #route(target: Target, from: Connection): Connection | typeof BUS | undefined {
    const random = this.ctx.random;
    switch (target.type) {
      case 'k': {
        const conns = this.#byIdentity.get(target.hash);
        const local = conns?.length ?? 0;
        const remote = this.bus.remote?.(target) ?? 0;
        if (target.server !== undefined && target.server !== this.ctx.serverCode) {
          if (remote > 0) return BUS;
          if (!conns) return undefined;
        }
        // uniform over the cluster's connections (no draw when they are all elsewhere)
        if (remote > 0 && (local === 0 || random.int(local + remote) >= local)) return BUS;
        if (!conns) return undefined;
        return conns.length === 1 ? conns[0] : conns[random.int(conns.length)];
      }
      case 'c': {
        if (target.server !== this.ctx.serverCode) return undefined;
        const conn = this.connections.get(target.clientId);
        return conn?.state === 'online' ? conn : undefined;
      }
      case 'g': {
        const members = this.groupMembers(target.hash, true);
        const others = members.filter((h) => h !== from.hash);
        const remote = this.bus.remote?.(target, from.hash) ?? 0;
        const pool = others.length > 0 || remote > 0 ? others : members;
        if (remote > 0 && random.int(pool.length + remote) >= pool.length) return BUS;
        if (pool.length === 0) return undefined;
        const conns = this.#byIdentity.get(pool[random.int(pool.length)]!)!;
        return conns[random.int(conns.length)];
      }
      default:
        return undefined;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Delivery

  /**
   * Routes `out` (the message `msg` from `from`, its sender already rewritten to `sender`) to
   * `target`: the asker of a response when remembered, else a local connection, else the bus;
   * a request nobody can take gets a `no route` error reply.
   */
  forward(
    from: Connection,
    msg: InstantMessage,
    sender: string,
    target: Target,
    out: Uint8Array,
  ): void {
    const isResponse = hasFlag(msg.flags, MsgFlag.Response);
    let dest: Connection | typeof BUS | string | undefined =
      isResponse && target.type === 'k' ? this.#takeReplyRoute(target.hash, msg.id) : undefined;
    let busTarget = target;
    if (typeof dest === 'string') {
      busTarget = { type: 'k', hash: (target as { hash: string }).hash, server: dest };
      dest = BUS;
    }
    dest ??= this.#route(target, from);
    if (!isResponse && this.#spread(from.hash) > 1) this.rememberReplyRoute(from, msg.id);
    if (dest !== undefined && dest !== BUS) {
      this.deliverTo(dest, out);
    } else if (target.type !== '' && this.bus.deliver(busTarget, out, from.hash)) {
      this.ctx.stats.messagesRouted++;
      this.ctx.stats.bytesRouted += out.length;
    } else {
      this.noRoute(from, msg, sender, isResponse);
    }
  }

  /** Hands `packet` to `dest` unless its send buffer is over `maxQueuedBytes` (then counted). */
  deliverTo(dest: Connection, packet: Uint8Array): boolean {
    if (dest.peer.bufferedAmount > this.ctx.limits.maxQueuedBytes) {
      this.ctx.stats.drops.queue_full++;
      return false;
    }
    dest.peer.send(packet);
    this.ctx.stats.messagesRouted++;
    this.ctx.stats.bytesRouted += packet.length;
    return true;
  }

  /**
   * Delivers a packet that relay `origin` forwarded here, to the connection named by `target`
   * (`c.`), or to a local connection of the `k.` identity; never forwards it again (at most one
   * hop). A response goes to the connection that asked when that was remembered. A request
   * that cannot be delivered (the other relay's view was stale) gets the `no route` reply, sent
   * back to `origin` through the bus; that reply is a response, so it is never answered again.
   * Returns whether it was delivered.
   */
  deliverFromBus(target: Target, packet: Uint8Array, origin?: string): boolean {
    let msg: InstantMessage;
    try {
      msg = decodeInstantMessage(packet, {
        maxBodyLength: this.ctx.limits.maxBodyBytes,
        maxNameLength: this.ctx.limits.maxNameBytes,
      });
    } catch {
      this.ctx.stats.drops.bus_rejected++;
      return false;
    }
    const isResponse = hasFlag(msg.flags, MsgFlag.Response);
    const recipient = this.#recipientTarget(msg.recipient);
    let dest: Connection | undefined;
    if (isResponse && recipient?.type === 'k') {
      const route = this.#takeReplyRoute(recipient.hash, msg.id);
      if (typeof route !== 'string') dest = route; // never another hop
    }
    if (dest === undefined && target.type === 'c' && target.server === this.ctx.serverCode) {
      const conn = this.connections.get(target.clientId);
      if (conn?.state === 'online') dest = conn;
    }
    const hash =
      target.type === 'k' ? target.hash : recipient?.type === 'k' ? recipient.hash : undefined;
    if (dest === undefined && hash !== undefined) {
      const conns = this.#byIdentity.get(hash);
      dest = conns?.[this.ctx.random.int(conns.length)];
    }
    if (!isResponse && origin !== undefined) {
      const sender = this.#recipientTarget(msg.sender);
      if (sender?.type === 'k' && this.#spread(sender.hash) > 1) {
        this.#remember(sender.hash, msg.id, { server: origin });
      }
    }
    if (dest !== undefined && dest.state === 'online' && this.deliverTo(dest, packet)) return true;
    if (isResponse) {
      this.ctx.stats.drops.no_route_response++;
    } else {
      this.ctx.stats.drops.no_route++;
      const sender = this.#recipientTarget(msg.sender);
      if (sender?.type === 'k' && origin !== undefined) {
        const reply = encodeInstantMessage(
          {
            id: msg.id,
            flags: MsgFlag.Response | MsgFlag.Error | MsgFlag.NotBottle,
            recipient: msg.sender,
            sender: '@/',
            body: utf8Encode(`no route to ${msg.recipient}`),
          },
          { maxBodyLength: Number.MAX_SAFE_INTEGER },
        );
        this.bus.deliver({ type: 'k', hash: sender.hash, server: origin }, reply);
      }
    }
    return false;
  }

  /** The target of an address's first segment (`k.<hash>/ep` → its `k.` target), or null. */
  #recipientTarget(address: string): Target | null {
    const slash = address.indexOf('/');
    return this.parseTarget(slash < 0 ? address : address.slice(0, slash));
  }

  /** Counts an undeliverable message; a request also gets a `no route` error reply. */
  noRoute(conn: Connection, msg: InstantMessage, sender: string, isResponse: boolean): void {
    if (isResponse) {
      this.ctx.stats.drops.no_route_response++;
      return;
    }
    this.ctx.stats.drops.no_route++;
    this.replyError(conn, msg, sender, `no route to ${msg.recipient}`);
  }

  /** Raw reply from `@/` to `conn` (flags Response | NotBottle, plus Error when `error`). */
  reply(
    conn: Connection,
    msg: InstantMessage,
    recipient: string,
    body: Uint8Array,
    error: boolean,
  ): void {
    const packet = encodeInstantMessage(
      {
        id: msg.id,
        flags: error
          ? MsgFlag.Response | MsgFlag.Error | MsgFlag.NotBottle
          : MsgFlag.Response | MsgFlag.NotBottle,
        recipient,
        sender: '@/',
        body,
      },
      { maxBodyLength: Number.MAX_SAFE_INTEGER },
    );
    this.deliverTo(conn, packet);
  }

  replyError(conn: Connection, msg: InstantMessage, recipient: string, text: string): void {
    this.reply(conn, msg, recipient, utf8Encode(text), true);
  }
}

/** `#route`'s answer when the candidate drawn is on another relay. */
const BUS = Symbol('bus');

/** Where the response to a remembered request goes: a local connection or another relay. */
interface ReplyRoute {
  readonly conn?: Connection;
  readonly server?: string;
}

function replyRouteKey(hash: string, id: Uint8Array): string {
  return `${hash} ${String.fromCharCode(...id)}`;
}
