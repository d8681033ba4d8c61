import {
  decodeHandshakeRequest,
  PacketType,
  type RandomSource,
  randomFraction,
  readPacketType,
} from '@peerwire/wire';
import type { ClientClock, ClientLink, Dialer } from './link.js';

/** Reconnect policy (spotlib-like defaults, all configurable). */
export interface ReconnectOptions {
  /** First delay after a failed dial or a lost connection (ms). */
  readonly minDelayMs: number;
  /** Longest delay between attempts (ms). */
  readonly maxDelayMs: number;
  /** Growth of the delay per consecutive failure. */
  readonly factor: number;
  /** Random spread of each delay, as a fraction (0.2 = ±20%). */
  readonly jitter: number;
  /** Time allowed from dial to the `rdy` request before the attempt is abandoned (ms). */
  readonly handshakeTimeoutMs: number;
}

export const DEFAULT_RECONNECT: ReconnectOptions = {
  minDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.2,
  handshakeTimeoutMs: 60_000,
};

/** What a relay connection needs from its client. */
export interface ConnectionOwner {
  readonly clock: ClientClock;
  readonly dial: Dialer;
  readonly reconnect: ReconnectOptions;
  /** Injected randomness: spreads the reconnect delays. */
  readonly random: RandomSource;
  /** Signs a handshake request (raw payload, `grp` list) and returns the response packet. */
  answerHandshake(raw: Uint8Array, groups: readonly Uint8Array[] | null): Promise<Uint8Array>;
  onOnline(conn: RelayConnection): void;
  onOffline(conn: RelayConnection, reason: string): void;
  onPacket(conn: RelayConnection, packet: Uint8Array): void;
  onProblem(conn: RelayConnection, problem: string): void;
}

/**
 * One relay URL: dials, answers handshakes, goes online on `rdy`, and redials with backoff when
 * the connection drops, until stopped.
 */
export class RelayConnection {
  state: 'idle' | 'dialing' | 'handshaking' | 'online' | 'stopped' = 'idle';
  /** `srv.clientid` the relay gave this connection. */
  cid = '';
  #link: ClientLink | undefined;
  #failures = 0;
  #timer: unknown;
  #unsubscribe: (() => void)[] = [];

  constructor(
    readonly url: string,
    readonly owner: ConnectionOwner,
  ) {}

  /** Reads the state afresh (narrowing does not know an `await` can change it). */
  get #stopped(): boolean {
    return this.state === 'stopped';
  }

  get isOnline(): boolean {
    return this.state === 'online';
  }

  get bufferedAmount(): number {
    return this.#link?.bufferedAmount ?? 0;
  }

  start(): void {
    if (this.state !== 'idle') return;
    void this.#dial();
  }

  stop(): void {
    if (this.state === 'stopped') return;
    const wasOnline = this.state === 'online';
    this.state = 'stopped';
    this.owner.clock.clearTimeout(this.#timer);
    this.#detach();
    this.#link?.close(1000, 'client stopped');
    this.#link = undefined;
    if (wasOnline) this.owner.onOffline(this, 'client stopped');
  }

  send(packet: Uint8Array): boolean {
    if (this.state !== 'online' || !this.#link) return false;
    this.#link.send(packet);
    return true;
  }

  async #dial(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'dialing';
    let link: ClientLink;
    try {
      link = await this.owner.dial(this.url);
    } catch (error) {
      this.owner.onProblem(this, dialProblem(this.url, error));
      this.#retry();
      return;
    }
    if (this.#stopped) {
      link.close(1000, 'client stopped');
      return;
    }
    this.#link = link;
    this.state = 'handshaking';
    this.#timer = this.owner.clock.setTimeout(() => {
      if (this.state === 'handshaking') {
        this.owner.onProblem(this, `handshake with ${this.url} did not complete in time`);
        link.close(1000, 'handshake timeout');
        this.#lost('handshake timeout');
      }
    }, this.owner.reconnect.handshakeTimeoutMs);
    this.#unsubscribe = [
      link.on('message', (data) => this.#onData(link, data)),
      link.on('close', (info) => {
        if (this.#link === link)
          this.#lost(`closed by relay (${info.code}${info.reason ? `: ${info.reason}` : ''})`);
      }),
    ];
  }

  #onData(link: ClientLink, data: Uint8Array): void {
    if (this.#link !== link) return;
    let type: PacketType;
    try {
      type = readPacketType(data);
    } catch (error) {
      this.owner.onProblem(this, `bad packet from ${this.url}: ${(error as Error).message}`);
      return;
    }
    if (type === PacketType.Handshake) void this.#onHandshake(link, data);
    else if (type === PacketType.InstantMessage) this.owner.onPacket(this, data);
    // pongs carry nothing for the client
  }

  async #onHandshake(link: ClientLink, packet: Uint8Array): Promise<void> {
    let req: ReturnType<typeof decodeHandshakeRequest>;
    try {
      req = decodeHandshakeRequest(packet);
    } catch (error) {
      this.owner.onProblem(
        this,
        `bad handshake request from ${this.url}: ${(error as Error).message}`,
      );
      return;
    }
    if (req.ready) {
      if (this.state === 'handshaking') {
        this.owner.clock.clearTimeout(this.#timer);
        this.cid = req.clientId || this.cid;
        this.state = 'online';
        this.#failures = 0;
        this.owner.onOnline(this);
      }
      return;
    }
    if (req.clientId) this.cid = req.clientId;
    try {
      const response = await this.owner.answerHandshake(req.raw, req.groups);
      if (this.#link === link) link.send(response);
    } catch (error) {
      this.owner.onProblem(this, `cannot answer the handshake: ${(error as Error).message}`);
    }
  }

  #detach(): void {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
  }

  #lost(reason: string): void {
    const wasOnline = this.state === 'online';
    this.owner.clock.clearTimeout(this.#timer);
    this.#detach();
    this.#link = undefined;
    if (this.#stopped) return;
    this.state = 'idle'; // not online any more before anyone hears of it
    if (wasOnline) this.owner.onOffline(this, reason);
    this.#retry();
  }

  #retry(): void {
    if (this.state === 'stopped') return;
    this.state = 'idle';
    const { minDelayMs, maxDelayMs, factor, jitter } = this.owner.reconnect;
    const base = Math.min(maxDelayMs, minDelayMs * factor ** this.#failures);
    this.#failures++;
    const delay = base * (1 + jitter * (2 * randomFraction(this.owner.random) - 1));
    this.#timer = this.owner.clock.setTimeout(() => {
      this.state = 'idle';
      void this.#dial();
    }, delay);
  }
}

/**
 * One sentence for a failed dial. Transport errors already name the URL ("cannot connect to X:
 * connect ECONNREFUSED …", "X refused the connection: HTTP 503 …"): they are kept as they are,
 * never wrapped in a second "cannot connect to X:".
 */
export function dialProblem(url: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.includes(url) ? message : `cannot connect to ${url}: ${message}`;
}
