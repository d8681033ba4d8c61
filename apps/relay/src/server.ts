/**
 * Composes the relay daemon: the Spot relay core, its store, one HTTP(S) port serving
 * `/_websocket`, discovery, `/healthz` and `/metrics`, logs and metrics, and a graceful stop.
 * `startRelayServer` is what `main.ts` runs and what the end-to-end tests start in-process.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { nodeThreadPoolBackend } from '@peerwire/crypto';
import { MemoryRelayStore, Relay, type RelayEvent, type RelayStore } from '@peerwire/relay';
import { attachWebSocketServer, createWebServer } from '@peerwire/transport/node';
import { base32nopad } from '@scure/base';
import type { Logger } from 'pino';
import { type BobComponent, bobService } from './bob.js';
import { joinCluster } from './cluster.js';
import type { RelayConfig } from './config.js';
import { dattService, type RelayDatt } from './datt.js';
import { LevelRelayStore } from './level-store.js';
import { createMetrics, type RelayMetrics } from './metrics.js';
import { natbaseService } from './natbase.js';
import { ptpchatService, type RelayPtpchat } from './ptpchat.js';
import { refusalLog } from './refusal-log.js';
import type { RelayService, RunningService, ServiceContext } from './service.js';

export interface RunningRelay {
  /** Base URL, e.g. `http://127.0.0.1:8080` (https when TLS is on). */
  readonly url: string;
  /** WebSocket URL of the Spot endpoint. */
  readonly spotUrl: string;
  readonly port: number;
  readonly relay: Relay;
  readonly metrics: RelayMetrics;
  /** The Datt node, when `datt.enabled`. */
  readonly datt?: RelayDatt;
  /** The bob relay, when enabled (`bob.enabled`). */
  readonly bob: BobComponent | undefined;
  /** The ptpchat node, when enabled (`ptpchat.enabled`, the default). */
  readonly ptpchat: RelayPtpchat | undefined;
  /** Every protocol service running beside Spot, by name (bob, datt, ...). */
  readonly services: ReadonlyMap<string, RunningService>;
  /** Graceful stop: refuse new connections, close open ones (1001) after their queues drain. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger: Logger;
  readonly version: string;
}

export function randomCode(): string {
  const r = globalThis.crypto.getRandomValues(new Uint8Array(5)); // 40 bits: 8 base32 characters
  return base32nopad.encode(r).slice(0, 4).toLowerCase();
}

async function openStore(
  config: RelayConfig,
  logger: Logger,
): Promise<{ store: RelayStore; serverCode: string }> {
  if (config.memory)
    return { store: new MemoryRelayStore(), serverCode: config.serverCode ?? randomCode() };
  const store = await LevelRelayStore.open(join(config.dataDir, 'spot'), {
    onCorruption: (key, error) =>
      logger.error({ key, err: error }, 'store record corrupt: not served'),
  });
  let serverCode = config.serverCode ?? (await store.getMeta('serverCode'));
  if (!serverCode) {
    serverCode = randomCode();
    await store.setMeta('serverCode', serverCode);
  }
  return { store, serverCode };
}

function json(res: ServerResponse, status: number, body: unknown, draining = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    // While draining, no keep-alive: the listener closes once the drain ends.
    ...(draining ? { connection: 'close' } : {}),
  });
  res.end(text);
}

/**
 * The protocols the daemon hosts beside Spot, in start order. Each starts from its own config
 * section when that section is enabled; adding a protocol is one line here.
 */
const SERVICES: readonly RelayService<{ readonly enabled: boolean }, RelayConfig>[] = [
  bobService,
  dattService,
  ptpchatService,
  natbaseService,
];

async function startServices(
  config: RelayConfig,
  context: ServiceContext,
): Promise<Map<string, RunningService>> {
  const running = new Map<string, RunningService>();
  try {
    for (const service of SERVICES) {
      const section = service.section(config);
      if (!section.enabled) {
        context.logger.info(`${service.name} disabled`);
        continue;
      }
      running.set(service.name, await service.start(section, context));
    }
  } catch (error) {
    // One service failed to start: stop the ones already listening before reporting it.
    await Promise.allSettled([...running.values()].map((s) => s.close(0)));
    throw error;
  }
  return running;
}

export async function startRelayServer(
  config: RelayConfig,
  options: StartOptions,
): Promise<RunningRelay> {
  const { logger } = options;
  const { store, serverCode } = await openStore(config, logger);
  const cluster = await joinCluster(config.cluster, serverCode, config.publicHosts, logger);
  let metrics: RelayMetrics | undefined;
  // The remote address of each open connection, so that rejections name it.
  const remotes = new Map<string, string>();
  const rejections = refusalLog(logger, Date.now, {
    line: 'connection rejected',
    plural: 'connections rejected',
  });
  const onEvent = (event: RelayEvent) => {
    metrics?.onEvent(event);
    switch (event.type) {
      case 'open':
        remotes.set(event.cid, event.address);
        break;
      case 'reject':
        rejections.refused(
          (event.cid !== undefined && remotes.get(event.cid)) || 'unknown',
          event.reason,
          event.detail,
          event.cid !== undefined ? { cid: event.cid } : {},
        );
        break;
      case 'store-error':
        logger.error({ operation: event.operation, err: event.error }, 'store operation failed');
        break;
      case 'online':
        logger.debug(
          { cid: event.cid, hash: event.hash, handshakeMs: event.handshakeMs },
          'client online',
        );
        break;
      case 'close':
        remotes.delete(event.cid);
        logger.debug(
          { cid: event.cid, hash: event.hash, reason: event.reason },
          'connection closed',
        );
        break;
      default:
        break;
    }
  };
  const relay = new Relay({
    serverCode,
    version: `peerwire-relay/${options.version}`,
    limits: config.limits,
    ...(cluster ? { store: cluster.cluster.store, bus: cluster.cluster.bus } : { store }),
    // Handshake signatures are verified on libuv's thread pool: the event loop stays free.
    cryptoBackend: nodeThreadPoolBackend,
    onEvent,
  });
  await relay.start();
  metrics = createMetrics(relay);
  cluster?.attach(relay, metrics.registry);
  const services = await startServices(config, {
    logger,
    registry: metrics.registry,
    host: config.host,
    dataDir: config.dataDir,
    memory: config.memory,
    version: options.version,
  }).catch(async (error: unknown) => {
    // A service that cannot start stops the relay: release the store (its LOCK) first.
    await store.close();
    throw error;
  });
  if (cluster) services.set(cluster.name, cluster);
  const bob = services.get('bob') as BobComponent | undefined;
  const datt = services.get('datt') as RelayDatt | undefined;
  const ptpchat = services.get('ptpchat') as RelayPtpchat | undefined;
  const started = Date.now();
  let draining = false;

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://relay');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { error: 'method not allowed' });
      return;
    }
    // While draining only the health and metrics endpoints answer; discovery must not point new
    // clients at a relay that is stopping.
    if (draining && url.pathname !== '/healthz' && url.pathname !== '/metrics') {
      json(res, 503, { status: 'draining', error: 'relay is shutting down' }, true);
      return;
    }
    switch (url.pathname) {
      case '/healthz': {
        const health = Object.fromEntries([...services].map(([name, s]) => [name, s.health()]));
        const degraded = Object.values(health).some((h) => !h.ok);
        const status = draining ? 'draining' : degraded ? 'degraded' : 'ok';
        json(
          res,
          status === 'ok' ? 200 : 503,
          {
            status,
            serverCode,
            connections: relay.connectionCount,
            online: relay.stats.online,
            uptimeSeconds: Math.floor((Date.now() - started) / 1000),
            services: health,
          },
          draining,
        );
        return;
      }
      case '/metrics': {
        const text = await metrics!.registry.metrics();
        res.writeHead(200, {
          'content-type': metrics!.registry.contentType,
          ...(draining ? { connection: 'close' } : {}),
        });
        res.end(text);
        return;
      }
      case '/_special/rest/Spot:connect': {
        const hosts =
          config.publicHosts.length > 0
            ? config.publicHosts
            : [req.headers.host ?? `${config.host}:${config.port}`];
        json(res, 200, {
          result: 'success',
          data: { hosts: cluster ? cluster.hosts(hosts) : hosts, min_conn: config.minConnections },
        });
        return;
      }
      default:
        json(res, 404, {
          error: `no such path ${url.pathname}; Spot clients connect to /_websocket`,
        });
    }
  };

  const tls =
    config.tlsCert && config.tlsKey
      ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }
      : undefined;
  const server = createWebServer(tls ? { tls } : {}, (req, res) => {
    handler(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'HTTP handler failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.end();
    });
  });

  let sample = 0;
  const refusals = refusalLog(logger);
  const ws = attachWebSocketServer(
    server,
    {
      path: '/_websocket',
      maxPayload: relay.limits.maxPacketBytes,
      acceptConnection: (remote) => {
        const refused = relay.refusal(remote.address);
        if (!refused) return true;
        metrics!.countRefusal(refused.reason);
        refusals.refused(remote.address, refused.reason, refused.detail);
        return { status: 503, reason: refused.detail };
      },
    },
    (link) => {
      const session = relay.accept(link, link.remote?.address ?? 'unknown');
      if (!session) return;
      link.on('message', (data) => {
        if ((++sample & 63) === 0) {
          const t = performance.now();
          session.receive(data);
          metrics!.observeProcessing((performance.now() - t) / 1000);
        } else {
          session.receive(data);
        }
      });
      // Text messages are ignored (spec §2.1) but count against the same budgets.
      link.on('ignored', (bytes) => session.ignored(bytes));
      link.on('close', (info) => session.closed(info));
    },
  );

  const tick = setInterval(() => {
    relay.tick();
    refusals.prune();
    rejections.prune();
  }, 1000);
  tick.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  // A wildcard bind is not an address anyone can dial: advertise loopback, say it is all of them.
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const shown = wildcard ? (address.family === 'IPv6' ? '::1' : '127.0.0.1') : address.address;
  const hostForUrl = shown.includes(':') ? `[${shown}]` : shown;
  const scheme = tls ? 'https' : 'http';
  const url = `${scheme}://${hostForUrl}:${address.port}`;
  cluster?.cluster.setHosts(
    config.publicHosts.length > 0 ? config.publicHosts : [`${hostForUrl}:${address.port}`],
  );
  logger.info(
    { url, serverCode, dataDir: config.memory ? '(memory)' : config.dataDir, tls: Boolean(tls) },
    `peerwire relay listening on ${url}${wildcard ? ' and every other interface' : ''} (Spot clients: ${tls ? 'wss' : 'ws'}://${hostForUrl}:${address.port}/_websocket)`,
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      draining = true;
      logger.info({ connections: relay.connectionCount }, 'shutting down: draining connections');
      // The HTTP listener stays open until the end: /healthz answers 503 draining, new WebSocket
      // upgrades are refused (503, the relay core says shutting_down), other paths get 503.
      relay.shutdown('relay shutting down');
      const servicesClosed = Promise.all(
        [...services.values()].map((service) => service.close(config.shutdownGraceMs)),
      );
      const deadline = Date.now() + config.shutdownGraceMs;
      while (ws.linkCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await ws.close();
      // The Spot path is gone, services may still drain: keep refusing upgrades the same way.
      server.on('upgrade', (req, socket) => {
        const remote = req.socket.remoteAddress ?? 'unknown';
        metrics!.countRefusal('shutting_down');
        refusals.refused(remote, 'shutting_down', 'relay is shutting down');
        socket.on('error', () => {});
        const body = 'relay is shutting down';
        socket.end(
          'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: text/plain\r\n' +
            `content-length: ${body.length}\r\n\r\n${body}`,
        );
      });
      clearInterval(tick);
      await servicesClosed;
      await store.close();
      refusals.flush();
      rejections.flush();
      const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await httpClosed;
      logger.info('relay stopped');
    })();
    return closing;
  };

  return {
    url,
    spotUrl: `${tls ? 'wss' : 'ws'}://${hostForUrl}:${address.port}/_websocket`,
    port: address.port,
    relay,
    metrics,
    ...(datt ? { datt } : {}),
    bob,
    ptpchat,
    services,
    close,
  };
}
