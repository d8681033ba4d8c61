/**
 * The relay's cluster membership (`cluster.*`, `--cluster redis://host:port[/db]`): when a URL
 * is set the relay joins a Redis/Valkey cluster through `@peerwire/relay-redis`, whose bus routes
 * to clients of the other relays and whose store (ID cards, blobs, memberships) is shared; the
 * relay's own data directory then only keeps its server code (and the bob and Datt services,
 * which stay per relay). It shows in `/healthz` as the `cluster` service (503 while Redis is
 * unreachable), in `/metrics` as `peerwire_cluster_*`, and in discovery (every live relay's
 * public hosts). A relay that cannot reach Redis at start does not start, unless
 * `cluster.onUnreachable` is `local`: then it runs as a single relay (its own store, no bus) and
 * says so in a warning; it does not try to join later (restart it to join).
 */
import type { Relay } from '@peerwire/relay';
import {
  DEFAULT_CLUSTER_LIMITS,
  RedisCluster,
  type RedisClusterLimits,
  redactUrl,
} from '@peerwire/relay-redis';
import type { Logger } from 'pino';
import { Gauge, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import { mirrored, mirroredByLabel } from './metrics.js';
import type { RunningService } from './service.js';

const ClusterLimitsSchema = z
  .object(
    Object.fromEntries(
      Object.keys(DEFAULT_CLUSTER_LIMITS).map((k) => [k, z.number().int().positive().optional()]),
    ),
  )
  .strict();

export const ClusterConfigSchema = z
  .object({
    /** `redis://[user:password@]host:port[/db]` or `rediss://…`; unset = a single relay. */
    url: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'a redis:// or rediss:// URL')
      .optional(),
    /** Prefix of every Redis key and channel (several clusters can share one Redis). */
    keyPrefix: z.string().min(1).max(64).default('pw:'),
    /** `@peerwire/relay-redis` limits; unset ones keep their defaults. */
    limits: ClusterLimitsSchema.default({}),
    /**
     * Redis unreachable at start: `exit` (status 1, the default: never start half-clustered)
     * or `local` (run as a single relay with its own store, a warning logged).
     */
    onUnreachable: z.enum(['exit', 'local']).default('exit'),
  })
  .strict()
  .prefault({});

export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;

const limitEnv = (name: string) =>
  `PEERWIRE_CLUSTER_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/**
 * `cluster.*` from PEERWIRE_CLUSTER (the URL), PEERWIRE_CLUSTER_PREFIX,
 * PEERWIRE_CLUSTER_ON_UNREACHABLE and PEERWIRE_CLUSTER_<LIMIT>.
 */
export function clusterConfigFromEnv(
  env: NodeJS.ProcessEnv,
  convert: (raw: string, type: 'number', source: string) => unknown,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  if (env.PEERWIRE_CLUSTER !== undefined) out.url = env.PEERWIRE_CLUSTER;
  if (env.PEERWIRE_CLUSTER_PREFIX !== undefined) out.keyPrefix = env.PEERWIRE_CLUSTER_PREFIX;
  if (env.PEERWIRE_CLUSTER_ON_UNREACHABLE !== undefined)
    out.onUnreachable = env.PEERWIRE_CLUSTER_ON_UNREACHABLE;
  const limits: Record<string, unknown> = {};
  for (const name of Object.keys(DEFAULT_CLUSTER_LIMITS)) {
    const raw = env[limitEnv(name)];
    if (raw !== undefined) limits[name] = convert(raw, 'number', limitEnv(name));
  }
  if (Object.keys(limits).length > 0) out.limits = limits;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Lines for `--help-config`. */
export function describeClusterConfig(): string[] {
  const lines = [
    '',
    '  cluster.url        PEERWIRE_CLUSTER          (none)  redis://host:port[/db] or rediss://…: join a relay cluster',
    '  cluster.keyPrefix  PEERWIRE_CLUSTER_PREFIX   pw:     prefix of every Redis key and channel',
    '  cluster.onUnreachable  PEERWIRE_CLUSTER_ON_UNREACHABLE  exit  Redis unreachable at start: exit (status 1) or local (run as a single relay)',
    '  cluster.limits.<name>  PEERWIRE_CLUSTER_<NAME>',
  ];
  for (const [name, value] of Object.entries(DEFAULT_CLUSTER_LIMITS)) {
    lines.push(`    ${name.padEnd(28)} ${limitEnv(name).padEnd(42)} ${value}`);
  }
  return lines;
}

export interface RelayCluster extends RunningService {
  readonly cluster: RedisCluster;
  /** Connects the bus to the relay core and registers the `peerwire_cluster_*` metrics. */
  attach(relay: Relay, registry: Registry): void;
  /** Discovery hosts: this relay's, then every other live relay's. */
  hosts(own: readonly string[]): string[];
}

/**
 * Joins the cluster when `cluster.url` is set. Redis unreachable: throws `CONNECT_FAILED`, or
 * with `onUnreachable: 'local'` logs a warning and returns undefined (a single relay).
 */
export async function joinCluster(
  config: ClusterConfig,
  serverCode: string,
  hosts: readonly string[],
  logger: Logger,
): Promise<RelayCluster | undefined> {
  if (config.url === undefined) return undefined;
  const log = logger.child({ service: 'cluster' });
  let latency: Histogram | undefined;
  let cluster: RedisCluster;
  try {
    cluster = await RedisCluster.connect({
      url: config.url,
      serverCode,
      hosts,
      keyPrefix: config.keyPrefix,
      limits: config.limits as Partial<RedisClusterLimits>,
      onLatency: (ms) => latency?.observe(ms / 1000),
      onEvent: (event) => {
        if (event.type === 'down')
          log.warn('Redis unreachable: cross-relay deliveries fail until it is back');
        else if (event.type === 'up') log.info('Redis reachable again: presence re-announced');
        else if (event.type === 'relay_expired')
          log.warn({ srv: event.srv }, 'relay stopped heartbeating: its clients are gone');
        else log.debug({ detail: event.detail }, 'bad cluster notice');
      },
    });
  } catch (error) {
    if (config.onUnreachable !== 'local' || (error as { code?: string }).code !== 'CONNECT_FAILED')
      throw error;
    log.warn(
      `${(error as Error).message}; running local-only (cluster.onUnreachable = local): ` +
        'a single relay with its own store, not joined to the cluster until restarted',
    );
    return undefined;
  }
  log.info({ url: redactUrl(config.url), serverCode }, 'joined the relay cluster');
  const names = [
    'peerwire_cluster_messages_out_total',
    'peerwire_cluster_messages_in_total',
    'peerwire_cluster_delivery_failures_total',
    'peerwire_cluster_redis_reconnects_total',
    'peerwire_cluster_presence_entries',
    'peerwire_cluster_relays',
    'peerwire_cluster_redis_up',
    'peerwire_cluster_bus_latency_seconds',
  ];
  return {
    name: 'cluster',
    ports: {},
    metrics: names,
    cluster,
    attach(relay, registry) {
      cluster.attach((target, packet, origin) => relay.deliverFromBus(target, packet, origin));
      const s = cluster.bus.stats;
      mirrored(registry, names[0]!, 'Packets published to another relay', () => s.crossOut);
      mirrored(registry, names[1]!, 'Packets received from another relay', () => s.crossIn);
      mirroredByLabel(
        registry,
        names[2]!,
        'Cross-relay deliveries refused at once or lost, by reason',
        'reason',
        () => ({
          redis_down: s.failedRedisDown,
          queue_full: s.failedQueueFull,
          too_large: s.failedTooLarge,
          publish_error: s.publishErrors,
          bad_envelope: s.badEnvelopes,
          no_receiver: s.noReceiver,
        }),
      );
      mirrored(
        registry,
        names[3]!,
        'Times Redis came back after being lost',
        () => cluster.reconnects,
      );
      new Gauge({
        name: names[4]!,
        help: 'Connections of other relays in this relay presence view',
        registers: [registry],
        collect() {
          this.set(cluster.view.size);
        },
      });
      new Gauge({
        name: names[5]!,
        help: 'Other live relays of the cluster',
        registers: [registry],
        collect() {
          this.set(cluster.view.relays().length);
        },
      });
      new Gauge({
        name: names[6]!,
        help: '1 while both Redis connections are ready',
        registers: [registry],
        collect() {
          this.set(cluster.up ? 1 : 0);
        },
      });
      latency = new Histogram({
        name: names[7]!,
        help: 'Bus latency: publish on the sending relay to receipt here (clocks of both hosts)',
        buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
        registers: [registry],
      });
    },
    hosts(own) {
      const out = [...own];
      for (const [, h] of cluster.view.relays())
        for (const x of h) if (!out.includes(x)) out.push(x);
      return out;
    },
    health() {
      return {
        ok: cluster.up,
        redis: cluster.up ? 'reachable' : 'unreachable',
        relays: cluster.view.relays().length + 1,
        presenceEntries: cluster.view.size,
        reconnects: cluster.reconnects,
      };
    },
    close: () => cluster.close(),
  };
}
