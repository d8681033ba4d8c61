/**
 * One `peerwire chat` peer on the network: a `@peerwire/ptpchat/node` client node (a UDP socket
 * for CONNECT, no listener) linked to one neighbour, usually the relay's ptpchat node. It turns
 * the engine's events into `ChatEvent`s for the terminal or the JSON lines, resolves what users
 * type (channel names, node names) to ids, and keeps the pins for the next run.
 */
import { randomBytes } from 'node:crypto';
import type {
  Attachment,
  ChannelInfo,
  NodeId,
  PtpchatNode,
  PtpchatOutput,
} from '@peerwire/ptpchat';
import { guidOf, isGuid, PtpchatError } from '@peerwire/ptpchat';
import { type RunningPtpchatNode, startPtpchatNode } from '@peerwire/ptpchat/node';
import { CliError, EXIT } from '../context.js';
import type { ChatIdentity } from './identity.js';
import { type ChannelView, channelView, type NodeView, type Path } from './views.js';

/** What happened on the network, as `--json` prints it (`event` names the kind). */
export type ChatEvent =
  | {
      readonly event: 'connected';
      readonly nodeId: NodeId;
      readonly neighbour: NodeId;
      readonly address: string;
    }
  | { readonly event: 'disconnected'; readonly neighbour: NodeId; readonly reason: string }
  | {
      readonly event: 'reconnecting';
      readonly address: string;
      /** 1 for the first attempt after the link was lost. */
      readonly attempt: number;
      /** Milliseconds until this attempt (the backoff doubles from `reconnectMinMs` to `reconnectMaxMs`). */
      readonly inMs: number;
      readonly reason?: string;
    }
  | { readonly event: 'channel'; readonly channel: ChannelView }
  | {
      readonly event: 'member-joined' | 'member-left';
      readonly channelId: string;
      readonly channel: string;
      readonly nodeId: NodeId;
    }
  | {
      readonly event: 'message';
      readonly msgId: string;
      readonly from: NodeId;
      readonly channelId: string;
      readonly channel: string;
      readonly closed: boolean;
      readonly text: string;
      readonly timestamp: string;
      readonly attachments: readonly Attachment[];
    }
  | {
      readonly event: 'invited';
      readonly channelId: string;
      readonly channel: string;
      readonly from: NodeId;
    }
  | {
      readonly event: 'key-request';
      readonly channelId: string;
      readonly channel: string;
      readonly from: NodeId;
    }
  | {
      readonly event: 'connect';
      readonly node: NodeId;
      readonly role: 'initiator' | 'responder' | 'rendezvous';
      readonly state: 'started' | 'punching' | 'direct' | 'failed';
      readonly address?: string;
      readonly reason?: string;
    }
  | {
      readonly event: 'delivery-failed';
      readonly msgId: string;
      readonly target: NodeId | null;
      readonly reason: string;
    };

export interface ChatSessionOptions {
  readonly identity: ChatIdentity;
  readonly host: string;
  readonly port: number;
  /** How long to wait for the neighbour's TCP connection and HELLO. */
  readonly timeoutMs: number;
  readonly onEvent: (event: ChatEvent) => void;
  /** First wait before redialling a lost neighbour (default `RECONNECT_MIN_MS`, 1 s); it doubles. */
  readonly reconnectMinMs?: number;
  /** Longest wait between redials (default `RECONNECT_MAX_MS`, 30 s). */
  readonly reconnectMaxMs?: number;
  /** Saves what must outlive this run (closed-channel keys): on a key, a closed channel, and at close. */
  readonly save?: (node: PtpchatNode) => void;
}

/** First wait before redialling a lost neighbour; doubled after each failed attempt. */
export const RECONNECT_MIN_MS = 1_000;
/** Longest wait between two redials. */
export const RECONNECT_MAX_MS = 30_000;

export class ChatSession {
  readonly running: RunningPtpchatNode;
  readonly node: PtpchatNode;
  readonly nodeId: NodeId;
  /** The node id of the neighbour dialled (the relay's ptpchat node, usually). */
  neighbour: NodeId | undefined;
  /** The channel plain text goes to, once joined or created. */
  current: string | undefined;
  /** When this peer last sent a CERTIFICATE (a one-shot send lingers while peers ask for it). */
  lastCertificateSent = 0;
  readonly #listeners = new Set<(o: PtpchatOutput) => void>();
  #closed = false;
  #save: ((node: PtpchatNode) => void) | undefined;
  #opts!: ChatSessionOptions;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  get #address(): string {
    const { host, port } = this.#opts;
    return `${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Redials the neighbour after a backoff (doubling, capped), announcing each attempt. */
  #reconnect(attempt: number, reason?: string): void {
    if (this.#closed || this.#reconnectTimer !== undefined) return;
    const o = this.#opts;
    const min = o.reconnectMinMs ?? RECONNECT_MIN_MS;
    const inMs = Math.min(o.reconnectMaxMs ?? RECONNECT_MAX_MS, min * 2 ** (attempt - 1));
    o.onEvent({
      event: 'reconnecting',
      address: this.#address,
      attempt,
      inMs,
      ...(reason ? { reason } : {}),
    });
    this.#reconnectTimer = setTimeout(async () => {
      this.#reconnectTimer = undefined;
      if (this.#closed) return;
      try {
        const peer = await withTimeout(this.running.dial(o.host, o.port), o.timeoutMs);
        const up = await this.#waitFor(
          (out) => out.type === 'neighbour-up' && out.peer === peer,
          o.timeoutMs,
        );
        if (this.#closed || !('nodeId' in up)) return;
        this.neighbour = up.nodeId;
        o.onEvent({
          event: 'connected',
          nodeId: this.nodeId,
          neighbour: up.nodeId,
          address: this.#address,
        });
      } catch (error) {
        this.#reconnect(attempt + 1, (error as Error).message);
      }
    }, inMs);
  }

  /** Saves the closed-channel keys now (`save`); a failure only costs them at the next run. */
  persist(): void {
    try {
      this.#save?.(this.node);
    } catch {
      // reported nowhere on purpose: chat goes on, the keys are still in memory
    }
  }

  private constructor(running: RunningPtpchatNode, nodeId: NodeId) {
    this.running = running;
    this.node = running.node;
    this.nodeId = nodeId;
  }

  /** Starts the node, dials `host:port` and waits for its HELLO. Unreachable: exit 3. */
  static async start(opts: ChatSessionOptions): Promise<ChatSession> {
    let session: ChatSession | undefined;
    const early: PtpchatOutput[] = [];
    const running = await startPtpchatNode({
      nodeId: opts.identity.nodeId,
      identity: opts.identity.identity,
      pins: opts.identity.pins,
      closedChannels: opts.identity.closedChannels,
      nodeType: 'client',
      version: 'peerwire-cli',
      listen: false,
      udp: { port: 0 },
      random: (n) => new Uint8Array(randomBytes(n)),
      onOutput: (o) => {
        if (session) session.#output(o, opts.onEvent);
        else early.push(o);
      },
    });
    session = new ChatSession(running, opts.identity.nodeId);
    session.#save = opts.save;
    session.#opts = opts;
    for (const o of early.splice(0)) session.#output(o, opts.onEvent);
    const address = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
    const started = Date.now();
    const ups: { peer: string; nodeId: NodeId }[] = [];
    const collect = (o: PtpchatOutput) => {
      if (o.type === 'neighbour-up') ups.push({ peer: o.peer, nodeId: o.nodeId });
    };
    session.#listeners.add(collect);
    try {
      const peer = await withTimeout(running.dial(opts.host, opts.port), opts.timeoutMs);
      const hello =
        ups.find((u) => u.peer === peer) ??
        (await session.#waitFor(
          (o) => o.type === 'neighbour-up' && o.peer === peer,
          Math.max(1, opts.timeoutMs - (Date.now() - started)),
        ));
      if (!('nodeId' in hello)) throw new Error('no HELLO');
      session.neighbour = hello.nodeId;
      opts.onEvent({
        event: 'connected',
        nodeId: session.nodeId,
        neighbour: hello.nodeId,
        address,
      });
    } catch (error) {
      session.#listeners.delete(collect);
      await running.close();
      const why =
        error instanceof TimeoutError
          ? `no ptpchat HELLO within ${opts.timeoutMs} ms`
          : (error as Error).message;
      throw new CliError(
        `cannot reach a ptpchat node at ${address}: ${why} (is peerwire-relay running with ptpchat on that port?)`,
        EXIT.offline,
      );
    }
    session.#listeners.delete(collect);
    return session;
  }

  #output(o: PtpchatOutput, emit: (e: ChatEvent) => void): void {
    if (DEBUG && o.type !== 'timer') process.stderr.write(`ptpchat: ${debugLine(o)}\n`);
    for (const l of this.#listeners) l(o);
    if (this.#closed) return; // links going down at /quit are no news
    switch (o.type) {
      case 'send':
      case 'datagram':
        if (o.message.msg_type === 'CERTIFICATE') this.lastCertificateSent = Date.now();
        return;
      case 'neighbour-down':
        if (
          o.nodeId === this.neighbour &&
          !this.node.neighbours().some((n) => n.nodeId === o.nodeId && !n.direct)
        ) {
          emit({ event: 'disconnected', neighbour: o.nodeId, reason: o.reason });
          this.#reconnect(1);
        }
        return;
      case 'channel':
        if (o.channel.closed && o.channel.hasKey) this.persist();
        emit({ event: 'channel', channel: channelView(o.channel) });
        return;
      case 'member-joined':
      case 'member-left':
        emit({
          event: o.type,
          channelId: o.channelId,
          channel: this.node.channel(o.channelId)?.name ?? o.channelId,
          nodeId: o.nodeId,
        });
        return;
      case 'message':
        emit({
          event: 'message',
          msgId: o.msgId,
          from: o.from,
          channelId: o.channelId,
          channel: o.channel,
          closed: o.closed,
          text: o.text,
          timestamp: o.timestamp,
          attachments: o.attachments,
        });
        return;
      case 'key':
        this.persist();
        emit({
          event: 'invited',
          channelId: o.channelId,
          channel: this.node.channel(o.channelId)?.name ?? o.channelId,
          from: o.from,
        });
        return;
      case 'key-request':
        emit({
          event: 'key-request',
          channelId: o.channelId,
          channel: this.node.channel(o.channelId)?.name ?? o.channelId,
          from: o.from,
        });
        return;
      case 'connect':
        emit({
          event: 'connect',
          node: o.peer,
          role: o.role,
          state: o.state,
          ...(o.address === undefined ? {} : { address: o.address }),
          ...(o.reason === undefined ? {} : { reason: o.reason }),
        });
        return;
      case 'delivery-failed':
        emit({ event: 'delivery-failed', msgId: o.msgId, target: o.target, reason: o.reason });
        return;
      default:
        return;
    }
  }

  /** The next output that `match` accepts, or a `TimeoutError`. */
  #waitFor(match: (o: PtpchatOutput) => boolean, timeoutMs: number): Promise<PtpchatOutput> {
    return new Promise((resolve, reject) => {
      const listener = (o: PtpchatOutput) => {
        if (!match(o)) return;
        this.#listeners.delete(listener);
        clearTimeout(timer);
        resolve(o);
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(new TimeoutError());
      }, timeoutMs);
      this.#listeners.add(listener);
    });
  }

  /** Waits for the next output `match` accepts (undefined after `timeoutMs`). */
  async next(
    match: (o: PtpchatOutput) => boolean,
    timeoutMs: number,
  ): Promise<PtpchatOutput | undefined> {
    try {
      return await this.#waitFor(match, timeoutMs);
    } catch (error) {
      if (error instanceof TimeoutError) return undefined;
      throw error;
    }
  }

  // ---------------------------------------------------------------- what users type, resolved

  /** A channel by id or name (case-insensitive); without `ref`, the current channel. */
  channel(ref: string | undefined): ChannelInfo {
    if (ref === undefined) {
      const c = this.current === undefined ? undefined : this.node.channel(this.current);
      if (!c) throw new CliError('no current channel: /join or /create one first', EXIT.usage);
      return c;
    }
    const name = ref.startsWith('#') ? ref.slice(1) : ref;
    const all = this.node.channels();
    const byId = isGuid(name) ? all.find((c) => c.channelId === name.toLowerCase()) : undefined;
    if (byId) return byId;
    const byName = all.filter((c) => c.name.toLowerCase() === name.toLowerCase());
    if (byName.length === 1) return byName[0]!;
    if (byName.length > 1) {
      const joined = byName.filter((c) => c.joined);
      if (joined.length === 1) return joined[0]!;
      throw new CliError(
        `several channels are named ${name}: give the id (${byName.map((c) => c.channelId).join(', ')})`,
        EXIT.usage,
      );
    }
    throw new CliError(
      `no channel ${ref} known yet (channels are heard when their members announce them; /channels lists them)`,
      EXIT.usage,
    );
  }

  /** Every node this peer knows of: neighbours, routes, channel members. */
  knownNodes(): Map<string, NodeId> {
    const out = new Map<string, NodeId>();
    const add = (id: NodeId) => {
      try {
        const g = guidOf(id);
        if (g !== guidOf(this.nodeId) && !out.has(g)) out.set(g, id);
      } catch {
        // not a node id
      }
    };
    for (const n of this.node.neighbours()) add(n.nodeId);
    for (const r of this.node.routes()) add(r.nodeId);
    for (const c of this.node.channels()) for (const m of c.members) add(m);
    return out;
  }

  /** A node by `name@GUID`, GUID, `name@<GUID prefix>` or a name known to one node only. */
  resolveNode(ref: string): NodeId {
    const known = [...this.knownNodes().values()];
    const at = ref.lastIndexOf('@');
    if (at >= 0 && isGuid(ref.slice(at + 1))) return ref;
    if (isGuid(ref)) return known.find((id) => guidOf(id) === ref.toLowerCase()) ?? ref;
    const name = (at < 0 ? ref : ref.slice(0, at)).toLowerCase();
    const prefix = at < 0 ? '' : ref.slice(at + 1).toLowerCase();
    const matches = known.filter((id) => {
      const i = id.lastIndexOf('@');
      return id.slice(0, i).toLowerCase() === name && id.slice(i + 1).startsWith(prefix);
    });
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new CliError(
        `several nodes are called ${ref}: give more of the GUID (${matches.join(', ')})`,
        EXIT.usage,
      );
    }
    throw new CliError(`no node ${ref} known (/online lists the nodes reachable now)`, EXIT.usage);
  }

  path(nodeId: NodeId): Path {
    return this.node.pathTo(nodeId);
  }

  /** The nodes reachable now, nearest first. */
  online(): NodeView[] {
    const out = new Map<string, NodeView>();
    for (const n of this.node.neighbours()) {
      const g = guidOf(n.nodeId);
      out.set(g, {
        nodeId: n.nodeId,
        path: n.direct ? 'direct' : 'neighbour',
        distance: 1,
        ...(n.nodeType === undefined ? {} : { nodeType: n.nodeType }),
      });
    }
    for (const r of this.node.routes()) {
      const g = guidOf(r.nodeId);
      if (!out.has(g))
        out.set(g, { nodeId: r.nodeId, path: this.path(r.nodeId), distance: r.distance });
    }
    return [...out.values()].sort((a, b) => (a.distance ?? 99) - (b.distance ?? 99));
  }

  /** Resolves once nothing waits for an ACK and no crypto work is in flight (or after `timeoutMs`). */
  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.node.idle();
      if (this.node.sizes.unacked === 0 && !this.node.busy) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(savePins?: (pins: [string, Uint8Array][]) => void): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    try {
      savePins?.(this.node.certificatePins());
    } catch {
      // the pins are a cache: losing them only costs fetching certificates again
    }
    this.persist();
    await this.running.close();
  }
}

/** PEERWIRE_CHAT_DEBUG=1: every engine output on stderr (messages sent, drops and their reasons). */
const DEBUG = process.env.PEERWIRE_CHAT_DEBUG === '1';

function debugLine(o: PtpchatOutput): string {
  if (o.type === 'send' || o.type === 'datagram') {
    const m = o.message;
    return `${o.type} ${'peer' in o ? o.peer : o.address} ${m.msg_type} ${m.msg_id} to ${m.target_id ?? (m.flood ? 'all' : 'hop')}`;
  }
  return JSON.stringify(o, (_k, v: unknown) =>
    v instanceof Uint8Array ? `<${v.length} bytes>` : v,
  );
}

class TimeoutError extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new TimeoutError()), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** A PtpchatError from a user action as a message for the user (the session goes on). */
export function actionError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof PtpchatError) {
    const usage = [
      'UNKNOWN_CHANNEL',
      'NO_CHANNEL_KEY',
      'INVALID_ACTION',
      'BAD_NODE_ID',
      'ATTACHMENT_TOO_LARGE',
      'MESSAGE_TOO_LARGE',
      'LIMIT_EXCEEDED',
    ];
    return new CliError(
      `${error.message} (${error.code})`,
      usage.includes(error.code) ? EXIT.usage : EXIT.failure,
    );
  }
  return new CliError(error instanceof Error ? error.message : String(error));
}
