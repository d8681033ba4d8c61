// A base server under test and a scripted host that speaks to it by hand: signed messages built
// with the codecs, actions decoded back into messages.
import {
  type BaseToPeerMessage,
  decodeBaseToPeer,
  type Endpoint,
  encodePeerToBase,
  encodeRecord,
  formatEndpoint,
  type Identity,
  type PeerToBaseBody,
  parseEndpoint,
  sealPeerToBase,
} from '../../src/index.js';
import {
  BaseServer,
  type BaseServerAction,
  type BaseServerEvent,
  type BaseServerLimits,
} from '../../src/server/index.js';
import { seededRandom } from '../helpers.js';

export const PRIMARY = parseEndpoint('198.51.100.1:5582');
export const SECONDARY = parseEndpoint('198.51.100.1:5583');

export function ep(text: string): Endpoint {
  return parseEndpoint(text);
}

export class ServerHarness {
  readonly events: BaseServerEvent[] = [];
  server: BaseServer;
  now = 1_000;

  constructor(limits?: Partial<BaseServerLimits>, seed = 7) {
    this.server = new BaseServer({
      udpAddresses: [PRIMARY, SECONDARY],
      random: seededRandom(seed),
      limits,
      onEvent: (e) => this.events.push(e),
    });
  }

  drops(reason?: string): BaseServerEvent[] {
    return this.events.filter((e) => e.type === 'dropped' && (!reason || e.reason === reason));
  }

  /** Opens a connection and returns the cookie of its HELLO. */
  open(conn: number, remote: Endpoint): { cookie: Uint8Array; actions: BaseServerAction[] } {
    const actions = this.server.tcpOpen(conn, remote, this.now);
    const hello = tcpMessages(actions, conn)[0];
    if (hello?.kind !== 'HELLO') throw new Error('no HELLO');
    return { cookie: hello.cookie, actions };
  }

  tcp(conn: number, payload: Uint8Array): BaseServerAction[] {
    return this.server.tcpData(conn, encodeRecord(payload, 0xffff), this.now);
  }

  udp(remote: Endpoint, bytes: Uint8Array, local = PRIMARY): BaseServerAction[] {
    return this.server.udpData(local, remote, bytes, this.now);
  }
}

/** The B2P messages of the TCP sends to `conn` among `actions`. */
export function tcpMessages(
  actions: readonly BaseServerAction[],
  conn: number,
): BaseToPeerMessage[] {
  const out: BaseToPeerMessage[] = [];
  for (const a of actions) {
    if (a.type === 'send' && a.transport === 'tcp' && a.conn === conn) {
      out.push(decodeBaseToPeer(a.bytes.subarray(5)));
    }
  }
  return out;
}

/** The UDP sends among `actions`, decoded, with their addresses as text. */
export function udpMessages(
  actions: readonly BaseServerAction[],
): { from: string; to: string; msg: BaseToPeerMessage }[] {
  const out: { from: string; to: string; msg: BaseToPeerMessage }[] = [];
  for (const a of actions) {
    if (a.type === 'send' && a.transport === 'udp') {
      out.push({
        from: formatEndpoint(a.from),
        to: formatEndpoint(a.to),
        msg: decodeBaseToPeer(a.bytes),
      });
    }
  }
  return out;
}

export function closes(actions: readonly BaseServerAction[]): number[] {
  return actions.flatMap((a) => (a.type === 'close' ? [a.conn] : []));
}

/** A host as the server sees it: its identity, TCP connection and UDP source. */
export class ScriptedHost {
  cookie: Uint8Array = new Uint8Array(16);
  counter = 0n;

  constructor(
    readonly h: ServerHarness,
    readonly identity: Identity,
    readonly conn: number,
    readonly tcpRemote: Endpoint,
    public udpSource: Endpoint,
  ) {}

  get id(): Uint8Array {
    return this.identity.deviceId;
  }

  connect(): BaseServerAction[] {
    const { cookie, actions } = this.h.open(this.conn, this.tcpRemote);
    this.cookie = cookie;
    return actions;
  }

  sealed(body: PeerToBaseBody): Uint8Array {
    return sealPeerToBase(body, this.identity, this.cookie);
  }

  info(addresses: Endpoint[]): BaseServerAction[] {
    return this.h.tcp(this.conn, this.sealed({ kind: 'INFO', addresses }));
  }

  requestInfo(target: Uint8Array): BaseServerAction[] {
    return this.h.tcp(this.conn, this.sealed({ kind: 'REQUEST_INFO', target }));
  }

  natInit(): BaseServerAction[] {
    this.counter++;
    return this.h.udp(this.udpSource, this.sealed({ kind: 'NAT_INIT', counter: this.counter }));
  }

  natConfirm(): BaseServerAction[] {
    return this.h.udp(
      this.udpSource,
      this.sealed({ kind: 'NAT_OK_CONFIRM', counter: this.counter }),
    );
  }

  /** INFO, NAT_INIT and NAT_OK_CONFIRM: a fully registered host with a confirmed UDP path. */
  register(addresses: Endpoint[] = []): void {
    this.connect();
    this.info(addresses);
    this.natInit();
    this.natConfirm();
  }

  dataTcp(target: Uint8Array, data: Uint8Array, source = this.id): BaseServerAction[] {
    return this.h.tcp(this.conn, encodePeerToBase({ kind: 'DATA', source, target, data }));
  }

  dataUdp(
    target: Uint8Array,
    data: Uint8Array,
    source = this.id,
    from = this.udpSource,
  ): BaseServerAction[] {
    return this.h.udp(from, encodePeerToBase({ kind: 'DATA', source, target, data }));
  }
}
