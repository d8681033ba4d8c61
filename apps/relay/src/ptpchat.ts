/**
 * The relay's ptpchat node (on by default, `--no-ptpchat`): a `@peerwire/ptpchat/node` node of
 * type `server` on its own TCP port (default 9011) and UDP port, that `peerwire chat` peers use
 * as their neighbour (it floods, routes and relays for them) and as the rendezvous `S` of
 * CONNECT (spec §9). Its identity lives in `<dataDir>/ptpchat` (fresh with `--memory`), its
 * metrics on the relay's registry (`peerwire_ptpchat_*`), its logs through the relay's logger.
 */
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { ConnectEvent, PtpchatNode, PtpchatOutput } from '@peerwire/ptpchat';
import { type RunningPtpchatNode, startPtpchatNode } from '@peerwire/ptpchat/node';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { PtpchatStartError } from './errors.js';
import { mirrored, mirroredByLabel } from './metrics.js';
import type { PtpchatConfig } from './ptpchat-config.js';
import {
  type LoadedIdentity,
  loadOrCreateIdentity,
  memoryIdentity,
  savePins,
} from './ptpchat-identity.js';
import {
  metricNamesSince,
  type RelayService,
  type RunningService,
  type ServiceContext,
} from './service.js';

/** The running ptpchat node, as the daemon's `ptpchat` service. */
export interface RelayPtpchat extends RunningService {
  readonly running: RunningPtpchatNode;
  readonly node: PtpchatNode;
  readonly nodeId: string;
  /** The ports bound (useful with port 0); `udp` absent when the UDP socket is off. */
  readonly ports: { readonly tcp: number; readonly udp?: number };
}

/** The system error code (`EADDRINUSE`, ...) at the root of a chain of `cause`s. */
function errnoOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    e = e.cause;
  }
  return undefined;
}

/** CONNECT progress seen by this node, by role and state (`peerwire_ptpchat_connect_events_total`). */
type ConnectTally = Map<string, number>;

function registerMetrics(
  registry: Registry,
  running: RunningPtpchatNode,
  tally: ConnectTally,
): void {
  const node = running.node;
  const c = node.counters;
  new Gauge({
    name: 'peerwire_ptpchat_tcp_links',
    help: 'ptpchat TCP connections open now (before and after HELLO)',
    registers: [registry],
    collect() {
      this.set(running.tcpLinks);
    },
  });
  new Gauge({
    name: 'peerwire_ptpchat_neighbours',
    help: 'ptpchat neighbours (links past HELLO), by transport (tcp links, udp punched paths)',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      let tcp = 0;
      let udp = 0;
      for (const n of node.neighbours()) {
        if (n.transport === 'udp') udp++;
        else tcp++;
      }
      this.set({ transport: 'tcp' }, tcp);
      this.set({ transport: 'udp' }, udp);
    },
  });
  new Gauge({
    name: 'peerwire_ptpchat_table_size',
    help: 'Entries of the ptpchat node bounded tables (routes, duplicate cache, unacked, held, channels, certificates, rendezvous)',
    labelNames: ['table'],
    registers: [registry],
    collect() {
      for (const [table, n] of Object.entries(node.sizes)) this.set({ table }, n);
    },
  });
  const counters: [string, string, () => number][] = [
    ['messages_received_total', 'ptpchat messages received (all verbs)', () => c.received],
    ['messages_sent_total', 'ptpchat messages sent (all verbs)', () => c.sent],
    ['floods_originated_total', 'Floods this node originated', () => c.floodsOriginated],
    [
      'floods_forwarded_total',
      'Floods forwarded (one per flood, to every other neighbour)',
      () => c.floodsForwarded,
    ],
    [
      'duplicates_dropped_total',
      'Messages dropped as already seen (duplicate cache)',
      () => c.duplicatesDropped,
    ],
    ['retransmissions_total', 'Un-ACKed messages sent again', () => c.retransmissions],
    ['nacks_sent_total', 'NACKs sent to originators (TTL expired, no route)', () => c.nacksSent],
    [
      'delivery_failures_total',
      'Messages this node originated that were never ACKed or were NACKed',
      () => c.deliveryFailures,
    ],
    [
      'messages_delivered_total',
      'MESSAGEs delivered to this node (it joins no channel: normally 0)',
      () => c.messagesDelivered,
    ],
    [
      'connect_attempts_total',
      'CONNECT rendezvous begun here: stage 1 relayed as S, or started as initiator',
      () => (tally.get('rendezvous/started') ?? 0) + c.connectAttempts,
    ],
    [
      'connect_successes_total',
      'CONNECT rendezvous completed here: stage 4 sent as S (both addresses exchanged), or a direct path up as initiator/responder',
      () => (tally.get('rendezvous/punching') ?? 0) + c.connectSuccesses,
    ],
    [
      'connect_failures_total',
      'CONNECT attempts of this node that failed',
      () => c.connectFailures,
    ],
  ];
  counters.push(
    [
      'write_drops_total',
      'Messages not queued because their TCP link was congested (a neighbour reading too slowly)',
      () => running.writeDrops,
    ],
    [
      'udp_dropped_total',
      'UDP datagrams dropped by the socket (too large, too many remotes)',
      () => running.udpDropped,
    ],
  );
  for (const [name, help, read] of counters)
    mirrored(registry, `peerwire_ptpchat_${name}`, help, read);
  mirroredByLabel(
    registry,
    'peerwire_ptpchat_drops_total',
    'ptpchat messages and links dropped, by reason',
    'reason',
    () => c.drops,
  );
  const last = new Map<string, number>();
  new Counter({
    name: 'peerwire_ptpchat_connect_events_total',
    help: 'CONNECT progress events, by role (initiator, responder, rendezvous) and state',
    labelNames: ['role', 'state'],
    registers: [registry],
    collect() {
      for (const [key, n] of tally) {
        const [role, state] = key.split('/') as [string, string];
        this.inc({ role, state }, Math.max(0, n - (last.get(key) ?? 0)));
        last.set(key, n);
      }
    },
  });
}

function logOutput(logger: Logger, o: PtpchatOutput): void {
  switch (o.type) {
    case 'neighbour-up':
      logger.debug(
        { peer: o.peer, nodeId: o.nodeId, nodeType: o.nodeType },
        'ptpchat neighbour up',
      );
      return;
    case 'neighbour-down':
      logger.debug({ peer: o.peer, nodeId: o.nodeId, reason: o.reason }, 'ptpchat neighbour down');
      return;
    case 'connect':
      logger.info(
        { role: o.role, peer: o.peer, state: o.state, address: o.address, reason: o.reason },
        'ptpchat rendezvous',
      );
      return;
    case 'drop':
      logger.debug({ reason: o.reason, peer: o.peer, detail: o.detail }, 'ptpchat drop');
      return;
    case 'close':
      logger.debug({ peer: o.peer, reason: o.reason }, 'ptpchat link closed');
      return;
    default:
      return;
  }
}

/** The ptpchat node as a daemon service: the `ptpchat` config section, ports on the relay's host. */
export const ptpchatService: RelayService<
  PtpchatConfig,
  { readonly ptpchat: PtpchatConfig },
  RelayPtpchat
> = {
  name: 'ptpchat',
  section: (config) => config.ptpchat,
  start: startRelayPtpchat,
};

async function startRelayPtpchat(
  config: PtpchatConfig,
  context: ServiceContext,
): Promise<RelayPtpchat> {
  const { host, registry } = context;
  const logger = context.logger.child({ component: 'ptpchat' });
  const dir = join(context.dataDir, 'ptpchat');
  const loaded: LoadedIdentity = context.memory
    ? await memoryIdentity(config.name)
    : await loadOrCreateIdentity(dir, config.name, logger);
  const tally: ConnectTally = new Map();
  const onOutput = (o: PtpchatOutput) => {
    if (o.type === 'connect') {
      const key = `${(o as ConnectEvent).role}/${o.state}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    logOutput(logger, o);
  };
  let running: RunningPtpchatNode;
  try {
    running = await startPtpchatNode({
      nodeId: loaded.nodeId,
      identity: loaded.identity,
      nodeType: 'server',
      version: `peerwire-relay/${context.version}`,
      limits: config.limits,
      pins: loaded.pins,
      listen: { host, port: config.port },
      udp: config.udp ? { host, port: config.udpPort } : false,
      onOutput,
      onLink: (event) => {
        if (event.type === 'error')
          logger.debug(
            { peer: event.peer, detail: event.error.message },
            'ptpchat transport error',
          );
      },
    });
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'BAD_OPTION' && config.udp && isIP(host) === 0) {
      throw new PtpchatStartError(
        'PTPCHAT_LISTEN_FAILED',
        `the ptpchat UDP socket binds an IP address, and --host ${host} is a name: give an IP address, or --no-ptpchat-udp`,
        { cause },
      );
    }
    const errno = errnoOf(cause);
    if (errno !== 'EADDRINUSE' && errno !== 'EACCES') throw cause;
    // The adapter binds UDP first (UDP_BIND_FAILED), then listens on TCP (LISTEN_FAILED).
    const udp = (cause as { code?: unknown }).code === 'UDP_BIND_FAILED';
    const what = udp ? `UDP port ${config.udpPort}` : `TCP port ${config.port}`;
    const flag = udp ? '--ptpchat-udp-port' : '--ptpchat-port';
    throw new PtpchatStartError(
      'PTPCHAT_LISTEN_FAILED',
      errno === 'EADDRINUSE'
        ? `the ptpchat ${what} on ${host} is already in use; choose another with ${flag}, or turn ptpchat off with --no-ptpchat`
        : `not allowed to listen on ${host} ${what} (ptpchat); use a port above 1023 with ${flag}, or --no-ptpchat`,
      { cause },
    );
  }
  const node = running.node;
  const tcp = running.tcpPort!;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  logger.info(
    { nodeId: loaded.nodeId, tcp, udp: running.udpPort },
    `ptpchat node ${loaded.nodeId} listening on ${shownHost}:${tcp}${running.udpPort === undefined ? '' : ` (rendezvous on UDP port ${running.udpPort})`}`,
  );
  const before = registry.getMetricsAsArray().map((m) => m.name);
  registerMetrics(registry, running, tally);
  let closing: Promise<void> | undefined;
  return {
    name: 'ptpchat',
    running,
    node,
    nodeId: loaded.nodeId,
    ports: running.udpPort === undefined ? { tcp } : { tcp, udp: running.udpPort },
    metrics: metricNamesSince(registry, before),
    health() {
      const sizes = node.sizes;
      return {
        ok: true,
        nodeId: loaded.nodeId,
        tcp,
        ...(running.udpPort === undefined ? {} : { udp: running.udpPort }),
        neighbours: sizes.neighbours,
        routes: sizes.routes,
        channels: sizes.channels,
      };
    },
    close() {
      closing ??= (async () => {
        if (!context.memory) {
          try {
            savePins(dir, node.certificatePins());
          } catch (error) {
            logger.warn({ err: error }, 'could not save the ptpchat pins');
          }
        }
        await running.close();
        logger.info('ptpchat node stopped');
      })();
      return closing;
    },
  };
}
