/**
 * The relay's Datt node (`--datt`): a `@peerwire/datt/node` content node on its own TCP and
 * WebSocket ports, with its content in `<dataDir>/datt` (memory with `--memory`), its metrics on
 * the relay's registry (`peerwire_datt_*`) and its logs through the relay's logger.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addressFromPublicKey,
  addressFromString,
  addressToString,
  assertPrivateKey,
  type DattEvent,
  type DattStats,
  generatePrivateKey,
  MemoryContentStore,
  publicKeyOf,
} from '@peerwire/datt';
import { type DattNode, startDattNode } from '@peerwire/datt/node';
import { fromHex, toHex } from '@peerwire/wire';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { DattConfig } from './datt-config.js';
import { DattStartError } from './errors.js';
import { checkLevelDir } from './level-store.js';
import { mirrored, mirroredByLabel } from './metrics.js';
import { refusalLog } from './refusal-log.js';
import {
  metricNamesSince,
  type RelayService,
  type RunningService,
  type ServiceContext,
} from './service.js';
import { StoreDamagedError, StoreLockedError } from './store-errors.js';

/** The running Datt node, as the daemon's `datt` service. */
export interface RelayDatt extends RunningService {
  readonly node: DattNode;
  /** The ports bound (useful with port 0). */
  readonly ports: { readonly tcp?: number; readonly ws?: number };
  /** Where payments go (Base58Check). */
  readonly payTo: string;
}

/** File of the node's secp256k1 key (64 hex digits), beside its content. */
export const DATT_KEY_FILE = 'node.key';

/** The node key: kept in `<dir>/node.key` (created with mode 0600 on first start). */
export function loadOrCreateKey(dir: string, logger: Logger): Uint8Array {
  const file = join(dir, DATT_KEY_FILE);
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    let key: Uint8Array | undefined;
    try {
      key = /^[0-9a-f]{64}$/i.test(text) ? fromHex(text.toLowerCase()) : undefined;
      if (key) assertPrivateKey(key);
    } catch {
      key = undefined;
    }
    if (!key) {
      throw new DattStartError(
        'DATT_KEY_INVALID',
        `${file} is not a Datt node key (64 hex digits of a secp256k1 secret key); move it away to create a new one`,
      );
    }
    return key;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = generatePrivateKey();
  writeFileSync(file, `${toHex(key)}\n`, { mode: 0o600, flag: 'wx' });
  logger.info({ file }, 'created a new Datt node key');
  return key;
}

function registerMetrics(registry: Registry, stats: DattStats): void {
  new Gauge({
    name: 'peerwire_datt_peers',
    help: 'Open Datt connections (in the init exchange or ready)',
    registers: [registry],
    collect() {
      this.set(stats.peers);
    },
  });
  const counters: [string, string, () => number][] = [
    ['messages_received_total', 'Datt messages received', () => stats.messagesIn],
    ['messages_sent_total', 'Datt messages sent', () => stats.messagesOut],
    ['bytes_received_total', 'Bytes received on Datt connections', () => stats.bytesIn],
    ['bytes_sent_total', 'Bytes sent on Datt connections', () => stats.bytesOut],
    ['content_stored_total', 'Signed contents stored', () => stats.contentStored],
    ['content_served_total', 'Signed contents served', () => stats.contentServed],
    ['payments_requested_total', 'Payment requests sent', () => stats.paymentsRequested],
    ['payments_verified_total', 'Payments verified and accepted', () => stats.paymentsAccepted],
    ['payments_refused_total', 'Payments refused', () => stats.paymentsRejected],
    ['misbehaving_total', 'Datt connections closed for misbehaviour', () => stats.misbehaving],
    ['ignored_total', 'Datt messages ignored', () => stats.ignored],
  ];
  for (const [name, help, read] of counters)
    mirrored(registry, `peerwire_datt_${name}`, help, read);
  mirroredByLabel(
    registry,
    'peerwire_datt_disconnects_total',
    'Datt connections closed, by reason',
    'reason',
    () => stats.disconnects,
  );
}

/** Disconnect reasons that mean the peer broke a rule (logged, rate-limited per address). */
const REJECTIONS = new Set([
  'BAD_FRAME',
  'BAD_MESSAGE',
  'BAD_SIGNATURE',
  'UNKNOWN_COMMAND',
  'PROTOCOL',
  'FLOODING',
  'HANDSHAKE_TIMEOUT',
]);

/** The address in a peer id (`tcp://1.2.3.4:5678#7` → `1.2.3.4`). */
export function peerAddress(peer: string): string {
  const m = /^\w+:\/\/(\[[^\]]+\]|[^:/#]+)/.exec(peer);
  return m ? m[1]!.replace(/^\[|\]$/g, '') : peer;
}

/**
 * The Datt node's log. A peer closed for breaking a rule (a bad frame from the transport or the
 * engine, a bad message, a flood, …) is logged as `datt peer rejected` with its address, at most
 * once per address per 10 s (refusal-log.ts); the rest are summed up in one line.
 */
function dattLog(logger: Logger) {
  const rejections = refusalLog(logger, Date.now, {
    line: 'datt peer rejected',
    plural: 'datt peers rejected',
  });
  const details = new Map<string, string>();
  const tick = setInterval(() => rejections.prune(), 1000);
  tick.unref();
  return {
    onEvent(event: DattEvent): void {
      if (event.type === 'misbehaved') {
        details.set(event.peer, event.message); // logged with the close that follows
        return;
      }
      if (event.type === 'peer-closed') {
        const detail = details.get(event.peer);
        details.delete(event.peer);
        if (REJECTIONS.has(event.reason)) {
          rejections.refused(
            peerAddress(event.peer),
            event.reason,
            detail ?? 'the transport refused what it sent',
            { peer: event.peer },
          );
          return;
        }
      }
      logEvent(logger, event);
    },
    close(): void {
      clearInterval(tick);
      rejections.flush();
    },
  };
}

function logEvent(logger: Logger, event: DattEvent): void {
  switch (event.type) {
    case 'payment-accepted':
      logger.info(
        {
          peer: event.peer,
          ref: toHex(event.ref),
          txid: toHex(event.txid),
          value: `${event.value}`,
        },
        'datt payment verified',
      );
      return;
    case 'payment-rejected':
      logger.info(
        { peer: event.peer, ref: toHex(event.ref), code: event.code, detail: event.message },
        'datt payment refused',
      );
      return;
    case 'store-failed':
      logger.error({ hash: toHex(event.hash), detail: event.message }, 'datt store failed');
      return;
    case 'content-stored':
      logger.debug({ peer: event.peer, hash: toHex(event.hash) }, 'datt content stored');
      return;
    case 'content-served':
      logger.debug({ peer: event.peer, hash: toHex(event.hash) }, 'datt content served');
      return;
    case 'peer-ready':
      logger.debug({ peer: event.peer }, 'datt peer ready');
      return;
    case 'peer-closed':
      logger.debug({ peer: event.peer, reason: event.reason }, 'datt peer closed');
      return;
    default:
      return;
  }
}

/** The Datt node as a daemon service (`--datt`; off by default): the `datt` config section. */
export const dattService: RelayService<DattConfig, { readonly datt: DattConfig }, RelayDatt> = {
  name: 'datt',
  section: (config) => config.datt,
  start: startRelayDatt,
};

async function startRelayDatt(c: DattConfig, context: ServiceContext): Promise<RelayDatt> {
  const config = context;
  const logger = context.logger.child({ component: 'datt' });
  const dir = join(config.dataDir, 'datt');
  const privateKey = config.memory ? generatePrivateKey() : loadOrCreateKey(dir, logger);
  const payTo = c.payTo
    ? addressFromString(c.payTo)
    : addressFromPublicKey(publicKeyOf(privateKey));
  if (config.memory && !c.payTo && (c.getPrice > 0 || c.postPrice > 0)) {
    logger.warn(
      'datt payments go to the address of a throwaway key (--memory): set datt.payTo (--datt-pay-to) to keep them',
    );
  }
  const log = dattLog(logger);
  // The content store is LevelDB too: a damaged one is refused, never replaced (level-store.ts).
  const contentDir = join(dir, 'content');
  if (!config.memory) checkLevelDir(contentDir);
  const node = await startDattNode({
    dataDir: dir,
    ...(config.memory ? { store: new MemoryContentStore({ maxBytes: c.memoryStoreBytes }) } : {}),
    host: config.host,
    tcpPort: c.port,
    wsPort: c.wsPort,
    wsPath: c.wsPath,
    keys: { privateKey },
    policy: {
      getPrice: BigInt(c.getPrice),
      postPrice: BigInt(c.postPrice),
      payTo,
      advertise: c.advertise,
    },
    limits: c.limits,
    onEvent: (event) => log.onEvent(event),
    onTransportError: (error, peer) =>
      logger.debug({ peer, code: error.code, detail: error.message }, 'datt transport error'),
  }).catch((error: unknown) => {
    log.close();
    const e = error as Error & { code?: string; cause?: { code?: string; message?: string } };
    if (e.cause?.code === 'LEVEL_LOCKED') throw new StoreLockedError(contentDir, { cause: error });
    if (e.cause?.code === 'LEVEL_CORRUPTION' || e.code === 'LEVEL_CORRUPTION')
      throw new StoreDamagedError(contentDir, e.cause?.message ?? e.message, { cause: error });
    throw error;
  });
  const before = context.registry.getMetricsAsArray().map((m) => m.name);
  registerMetrics(context.registry, node.stats);
  const payToText = addressToString(payTo);
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  logger.info(
    {
      tcp: node.ports.tcp,
      ws: node.ports.ws,
      getPrice: c.getPrice,
      postPrice: c.postPrice,
      payTo: payToText,
      store: config.memory ? '(memory)' : join(dir, 'content'),
    },
    `datt node listening on tcp://${host}:${node.ports.tcp} and ws://${host}:${node.ports.ws}${c.wsPath}`,
  );
  let closing: Promise<void> | undefined;
  return {
    name: 'datt',
    node,
    ports: node.ports,
    payTo: payToText,
    metrics: metricNamesSince(context.registry, before),
    health: () => ({ ok: true, peers: node.stats.peers, tcp: node.ports.tcp, ws: node.ports.ws }),
    close: () => {
      closing ??= node.close().then(() => {
        log.close();
        logger.info('datt node stopped');
      });
      return closing;
    },
  };
}
