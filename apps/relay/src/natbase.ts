/**
 * The natbase base server (Husarnet NgSocket-compatible, spec natbase §7) as a relay service:
 * one TCP port and one UDP address, metrics `peerwire_natbase_*`, a `/healthz` entry.
 */
import { type BaseServerEvent, formatEndpoint, parseEndpoint } from '@peerwire/natbase';
import { type BaseServerHandle, listenBaseServer } from '@peerwire/natbase/node';
import { Counter, Gauge } from 'prom-client';
import type { NatbaseConfig } from './natbase-config.js';
import {
  metricNamesSince,
  type RelayService,
  type RunningService,
  type ServiceContext,
} from './service.js';

export interface RelayNatbase extends RunningService {
  readonly base: BaseServerHandle;
}

export const natbaseService: RelayService<
  NatbaseConfig,
  { readonly natbase: NatbaseConfig },
  RelayNatbase
> = {
  name: 'natbase',
  section: (config) => config.natbase,
  start: startRelayNatbase,
};

async function startRelayNatbase(c: NatbaseConfig, context: ServiceContext): Promise<RelayNatbase> {
  const logger = context.logger.child({ service: 'natbase' });
  const wildcard = context.host === '0.0.0.0' || context.host === '::';
  const udpHost = wildcard ? (context.host === '::' ? '::' : '0.0.0.0') : context.host;
  const udpPort = c.udpPort ?? c.port;
  const before = context.registry.getMetricsAsArray().map((m) => m.name);
  const relayed = new Counter({
    name: 'peerwire_natbase_relayed_total',
    help: 'DATA relayed by the base, by the path it left on',
    labelNames: ['path'],
    registers: [context.registry],
  });
  const drops = new Counter({
    name: 'peerwire_natbase_drops_total',
    help: 'Input dropped by the base, by reason',
    labelNames: ['reason', 'transport'],
    registers: [context.registry],
  });
  const confirmations = new Counter({
    name: 'peerwire_natbase_nat_confirmations_total',
    help: 'NAT_OK_CONFIRMs that confirmed a device UDP path',
    registers: [context.registry],
  });
  const pushes = new Counter({
    name: 'peerwire_natbase_address_pushes_total',
    help: 'DEVICE_ADDRESSES pushed because a device address changed',
    registers: [context.registry],
  });
  const onEvent = (e: BaseServerEvent): void => {
    if (e.type === 'relayed') relayed.inc({ path: e.path });
    else if (e.type === 'dropped') {
      drops.inc({ reason: e.reason, transport: e.transport });
      logger.debug({ reason: e.reason, detail: e.detail }, 'natbase drop');
    } else if (e.type === 'nat-confirmed') confirmations.inc();
    else if (e.type === 'pushed') pushes.inc();
  };
  const advertise = c.publicAddress ? [parseEndpoint(c.publicAddress)] : undefined;
  const base = await listenBaseServer({
    tcp: { host: context.host, port: c.port },
    udp: [{ host: udpHost, port: udpPort }],
    ...(advertise ? { advertise } : {}),
    limits: c.limits,
    onEvent,
    onError: (error) => logger.debug({ detail: error.message }, 'natbase socket error'),
  });
  new Gauge({
    name: 'peerwire_natbase_devices_connected',
    help: 'Devices bound to a TCP connection at the base',
    registers: [context.registry],
    collect() {
      this.set(base.stats.devicesConnected);
    },
  });
  new Gauge({
    name: 'peerwire_natbase_connections',
    help: 'TCP connections at the base',
    registers: [context.registry],
    collect() {
      this.set(base.stats.connections);
    },
  });
  const primary = base.udpAddresses[0]!;
  logger.info(
    { tcp: base.tcpPort, udp: formatEndpoint(primary) },
    `natbase base server on tcp ${context.host}:${base.tcpPort}, UDP ${formatEndpoint(primary)}`,
  );
  let closing: Promise<void> | undefined;
  return {
    name: 'natbase',
    base,
    ports: { tcp: base.tcpPort, udp: primary.port },
    metrics: metricNamesSince(context.registry, before),
    health: () => ({
      ok: true,
      tcp: base.tcpPort,
      udp: formatEndpoint(primary),
      devices: base.stats.devicesConnected,
      connections: base.stats.connections,
    }),
    close: () => {
      closing ??= base.close().then(() => logger.info('natbase base server stopped'));
      return closing;
    },
  };
}
