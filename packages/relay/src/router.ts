import { parseTarget, type Target } from '@peerwire/address';
import {
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

/** Parsed targets kept (cleared when full; a miss only costs a parse). */
const TARGET_CACHE_SIZE = 4096;

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
  /** Parsed recipient targets (recipients repeat; parsing validates a hash each time). */
  readonly #targets = new Map<string, Target | null>();
  /**
   * `<identity hash> <request id>` → the connection that sent the request, for identities with
   * several connections, oldest first (see `rememberReplyRoute`).
   */
  readonly #replyRoutes = new Map<string, { conn: Connection; expires: number }>();

  constructor(
    readonly ctx: RelayContext,
    readonly bus: RelayBus,
    readonly groups: GroupRegistry,
    /** Every connection of this relay (online or not) by client id, for `c.` targets. */
    readonly connections: ReadonlyMap<string, Connection>,
  ) {}

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
      if (this.#targets.size >= TARGET_CACHE_SIZE) this.#targets.clear();
      this.#targets.set(text, target);
    }
    return target;
  }

  /**
   * Responses go to `k.<hash>/…` like anything else, and the relay would pick any connection
   * of that identity: with two (a `peerwire spot listen` and a query from another terminal on
   * the same keychain), half the answers would reach the connection that did not ask and be
   * dropped there. So while an identity has several connections, the relay remembers who sent
   * each request and routes its response back to that connection if it is still online.
   */
  rememberReplyRoute(conn: Connection, id: Uint8Array): void {
    const now = this.ctx.clock.now();
    for (const [key, route] of this.#replyRoutes) {
      if (route.expires > now && this.#replyRoutes.size < this.ctx.limits.maxReplyRoutes) break;
      this.#replyRoutes.delete(key);
    }
    const key = replyRouteKey(conn.hash, id);
    this.#replyRoutes.delete(key); // a repeated id moves to the end
    this.#replyRoutes.set(key, { conn, expires: now + this.ctx.limits.replyRouteTtlMs });
  }

  #takeReplyRoute(hash: string, id: Uint8Array): Connection | undefined {
    if (this.#replyRoutes.size === 0) return undefined;
    const key = replyRouteKey(hash, id);
    const route = this.#replyRoutes.get(key);
    if (route === undefined) return undefined;
    this.#replyRoutes.delete(key);
    const { conn } = route;
    return conn.state === 'online' && conn.hash === hash && route.expires > this.ctx.clock.now()
      ? conn
      : undefined;
  }

  /** Picks the local connection a target resolves to, if any. */
  #route(target: Target, from: Connection): Connection | undefined {
    const random = this.ctx.random;
    switch (target.type) {
      case 'k': {
        if (
          target.server !== undefined &&
          target.server !== this.ctx.serverCode &&
          !this.#byIdentity.has(target.hash)
        ) {
          return undefined;
        }
        const conns = this.#byIdentity.get(target.hash);
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
        const pool = others.length > 0 ? others : members;
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
    const dest =
      (isResponse && target.type === 'k' ? this.#takeReplyRoute(target.hash, msg.id) : undefined) ??
      this.#route(target, from);
    if (!isResponse && (this.#byIdentity.get(from.hash)?.length ?? 0) > 1) {
      this.rememberReplyRoute(from, msg.id);
    }
    if (dest) {
      this.deliverTo(dest, out);
    } else if (target.type !== '' && this.bus.deliver(target, out)) {
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

  /** Delivers a packet that another relay forwarded here (local routes only). */
  deliverFromBus(target: Target, packet: Uint8Array): boolean {
    let dest: Connection | undefined;
    if (target.type === 'k') {
      const conns = this.#byIdentity.get(target.hash);
      dest = conns?.[this.ctx.random.int(conns.length)];
    } else if (target.type === 'c' && target.server === this.ctx.serverCode) {
      dest = this.connections.get(target.clientId);
    }
    return dest?.state === 'online' ? this.deliverTo(dest, packet) : false;
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

function replyRouteKey(hash: string, id: Uint8Array): string {
  return `${hash} ${String.fromCharCode(...id)}`;
}
