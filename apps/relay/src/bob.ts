/**
 * The bob relay inside the daemon: bob's handshake port and secure port (defaults 9000 and
 * 9001) on the relay's host, served by `@peerwire/bob/node`, with its config section, metrics
 * (`peerwire_bob_*`), logs and graceful stop.
 */
import {
  type BobRelayEvent,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_IDENTITY_LENGTH,
  DEFAULT_MAX_LIFETIME_MS,
  DEFAULT_MAX_PEERS,
  DEFAULT_MAX_PEERS_PER_ADDRESS,
  DEFAULT_MAX_PENDING_PAIRS,
  DEFAULT_REGISTER_TIMEOUT_MS,
  DEFAULT_SECURE_IDENTIFY_TIMEOUT_MS,
  DEFAULT_SECURE_PAIR_TIMEOUT_MS,
} from '@peerwire/bob';
import {
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_HANDSHAKE_PORT,
  DEFAULT_SECURE_PORT,
  type RunningBobRelay,
  startBobRelay,
} from '@peerwire/bob/node';
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { BobStartError, ConfigError } from './errors.js';
import { mirrored } from './metrics.js';
import {
  metricNamesSince,
  type RelayService,
  type RunningService,
  type ServiceContext,
} from './service.js';

/** The bob relay's limits, their defaults, and what they mean (for `--help-config`). */
export const BOB_LIMITS = {
  maxPeers: { default: DEFAULT_MAX_PEERS, help: 'handshake connections at once' },
  maxPeersPerAddress: {
    default: DEFAULT_MAX_PEERS_PER_ADDRESS,
    help: 'handshake connections at once from one IP address',
  },
  registerTimeoutMs: {
    default: DEFAULT_REGISTER_TIMEOUT_MS,
    help: 'time a handshake connection has to say hello (ms)',
  },
  idleTimeoutMs: {
    default: DEFAULT_IDLE_TIMEOUT_MS,
    help: 'idle handshake connection timeout, reset by activity (ms)',
  },
  maxLifetimeMs: {
    default: DEFAULT_MAX_LIFETIME_MS,
    help: 'overall cap on a handshake connection (ms; bob -t)',
  },
  maxIdentityLength: {
    default: DEFAULT_MAX_IDENTITY_LENGTH,
    help: 'longest identity in a packet (bytes)',
  },
  secureIdentifyTimeoutMs: {
    default: DEFAULT_SECURE_IDENTIFY_TIMEOUT_MS,
    help: 'time to send the identity line on the secure port (ms)',
  },
  securePairTimeoutMs: {
    default: DEFAULT_SECURE_PAIR_TIMEOUT_MS,
    help: 'time a pairing waits for both secure connections (ms)',
  },
  maxPendingPairs: {
    default: DEFAULT_MAX_PENDING_PAIRS,
    help: 'pairings waiting for their secure connections',
  },
  closeGraceMs: {
    default: DEFAULT_CLOSE_GRACE_MS,
    help: 'flush time of a connection the relay closes (ms)',
  },
} as const;

export type BobLimitName = keyof typeof BOB_LIMITS;

const portNumber = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

export const BobConfigSchema = z
  .object({
    /** Serve the bob relay (`--no-bob` turns it off). */
    enabled: z.boolean().default(true),
    /** bob's handshake port. */
    port: portNumber.default(DEFAULT_HANDSHAKE_PORT),
    /** bob's secure-room port. */
    securePort: portNumber.default(DEFAULT_SECURE_PORT),
    /** Accept secure-room connections only from the handshake's IP addresses (spec §12). */
    checkSecureAddress: z.boolean().default(true),
    limits: z
      .object(
        Object.fromEntries(
          Object.keys(BOB_LIMITS).map((k) => [k, positiveInt.optional()]),
        ) as Record<BobLimitName, z.ZodOptional<typeof positiveInt>>,
      )
      .strict()
      .default({}),
  })
  .strict()
  .refine((c) => !c.enabled || c.port === 0 || c.port !== c.securePort, {
    message: 'bob.port and bob.securePort must differ',
  });

export type BobConfig = z.infer<typeof BobConfigSchema>;

/** `PEERWIRE_BOB_LIMIT_<NAME>` for a limit name. */
export function bobLimitEnvName(name: string): string {
  return `PEERWIRE_BOB_LIMIT_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Parses `--bob-limit name=value` flags into `bob.limits`. */
export function parseBobLimitFlags(values: readonly string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values ?? []) {
    const m = /^([A-Za-z]+)=(\d+)$/.exec(v.trim());
    if (!m || !(m[1]! in BOB_LIMITS)) {
      throw new ConfigError(
        `--bob-limit ${v}: expected name=integer with name one of ${Object.keys(BOB_LIMITS).join(', ')}`,
        'BAD_BOB_LIMIT',
      );
    }
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Lines of `describeConfig()` for the bob section. */
export function describeBobConfig(): string[] {
  const lines = [
    '',
    '  bob relay (bob-compatible file transfer; https://github.com/dinosaure/bob):',
    `  bob.enabled       PEERWIRE_BOB_ENABLED         true         serve the bob relay (flag: --no-bob turns it off)`,
    `  bob.port          PEERWIRE_BOB_PORT            ${DEFAULT_HANDSHAKE_PORT}         bob handshake port on host (flag: --bob-port; 0 = any free port)`,
    `  bob.securePort    PEERWIRE_BOB_SECURE_PORT     ${DEFAULT_SECURE_PORT}         bob secure-room port on host (flag: --bob-secure-port)`,
    '  bob.checkSecureAddress PEERWIRE_BOB_CHECK_SECURE_ADDRESS true   secure room only from the handshake IPs (flag: --no-bob-check-secure-address)',
    '  bob.limits.<name> PEERWIRE_BOB_LIMIT_<NAME>    see below    flag: --bob-limit <name>=<value> (repeatable)',
  ];
  for (const [name, { default: value, help }] of Object.entries(BOB_LIMITS)) {
    lines.push(
      `    ${name.padEnd(24)} ${bobLimitEnvName(name).padEnd(44)} ${String(value).padEnd(9)} ${help}`,
    );
  }
  return lines;
}

export { BobStartError } from './errors.js';

/** Failure reasons counted by `peerwire_bob_failures_total{reason}`. */
export const BOB_FAILURE_REASONS = [
  'handshake_failed',
  'refused',
  'relay_failure',
  'idle_timeout',
  'lifetime_timeout',
  'register_timeout',
  'protocol_error',
  'rejected',
  'secure_refused',
] as const;

export type BobFailureReason = (typeof BOB_FAILURE_REASONS)[number];

/** The running bob relay, as the daemon's `bob` service. */
export interface BobComponent extends RunningService {
  readonly relay: RunningBobRelay;
  /** `host:port` of the handshake port, as peers dial it. */
  readonly address: string;
  readonly failures: Readonly<Record<BobFailureReason, number>>;
}

function failureOf(event: BobRelayEvent): BobFailureReason | undefined {
  switch (event.type) {
    case 'handshake-failed':
      return 'handshake_failed';
    case 'refused':
      return 'refused';
    case 'relay-failure':
      return 'relay_failure';
    case 'timeout':
      return event.why === 'idle'
        ? 'idle_timeout'
        : event.why === 'unregistered'
          ? 'register_timeout'
          : 'lifetime_timeout';
    case 'protocol-error':
      return 'protocol_error';
    case 'rejected':
      return 'rejected';
    case 'secure-refused':
      return 'secure_refused';
    default:
      return undefined;
  }
}

/** The bob relay as a daemon service: the `bob` config section, ports on the relay's host. */
export const bobService: RelayService<BobConfig, { readonly bob: BobConfig }, BobComponent> = {
  name: 'bob',
  section: (config) => config.bob,
  start: startBob,
};

async function startBob(config: BobConfig, context: ServiceContext): Promise<BobComponent> {
  const { host, registry } = context;
  const log = context.logger.child({ component: 'bob' });
  const failures = Object.fromEntries(BOB_FAILURE_REASONS.map((r) => [r, 0])) as Record<
    BobFailureReason,
    number
  >;
  const { closeGraceMs, ...limits } = config.limits;
  const onEvent = (event: BobRelayEvent) => {
    const failure = failureOf(event);
    if (failure) failures[failure]++;
    switch (event.type) {
      case 'paired':
        log.info({ client: event.client, server: event.server }, 'bob peers paired');
        break;
      case 'secure-paired':
        log.debug({ a: event.a, b: event.b }, 'bob secure pipe opened');
        break;
      case 'secure-refused':
        log.info(
          { conn: event.conn, answer: event.answer, reason: event.reason },
          'bob secure room refused a connection',
        );
        break;
      case 'timeout':
        log.info({ conn: event.conn, why: event.why }, 'bob connection timed out');
        break;
      case 'protocol-error':
        log.info(
          { conn: event.conn, code: event.error.code, detail: event.error.message },
          'bob protocol error: connection closed',
        );
        break;
      case 'rejected':
        log.warn({ conn: event.conn, reason: event.reason }, 'bob connection rejected');
        break;
      case 'refused':
        log.debug({ client: event.client, server: event.server }, 'bob receiver refused');
        break;
      case 'handshake-failed':
        log.debug({ from: event.from, to: event.to }, 'bob handshake failed (wrong password?)');
        break;
      default:
        break;
    }
  };
  let relay: RunningBobRelay;
  try {
    relay = await startBobRelay({
      host,
      port: config.port,
      securePort: config.securePort,
      limits: { ...limits, checkSecureAddress: config.checkSecureAddress },
      ...(closeGraceMs === undefined ? {} : { closeGraceMs }),
      onEvent,
    });
  } catch (cause) {
    const e = cause as NodeJS.ErrnoException & { port?: number };
    if (e.code !== 'EADDRINUSE' && e.code !== 'EACCES') throw cause;
    const which = e.port === config.securePort ? 'secure port' : 'handshake port';
    const flag = which === 'secure port' ? '--bob-secure-port' : '--bob-port';
    throw new BobStartError(
      e.code === 'EADDRINUSE'
        ? `the bob ${which} ${e.port} on ${host} is already in use (is bob or another relay running?); choose another with ${flag}, or turn bob off with --no-bob`
        : `not allowed to listen on ${host}:${e.port} (bob ${which}); use a port above 1023 with ${flag}, or --no-bob`,
      { cause },
    );
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const address = `${shownHost}:${relay.ports.handshake}`;
  log.info(
    { handshakePort: relay.ports.handshake, securePort: relay.ports.secure },
    `bob relay listening on ${address} (secure room on port ${relay.ports.secure})`,
  );
  const before = registry.getMetricsAsArray().map((m) => m.name);
  registerBobMetrics(registry, relay, failures);
  return {
    name: 'bob',
    relay,
    address,
    failures,
    ports: { handshake: relay.ports.handshake, secure: relay.ports.secure },
    metrics: metricNamesSince(registry, before),
    health() {
      const s = relay.stats;
      return { ok: true, address, peers: s.connections, transfers: s.activePipes };
    },
    async close(graceMs) {
      const active = relay.stats.activePipes;
      if (active > 0) log.info({ transfers: active }, 'bob relay: waiting for transfers to end');
      await relay.close({ graceMs });
      log.info('bob relay stopped');
    },
  };
}

function registerBobMetrics(
  registry: Registry,
  relay: RunningBobRelay,
  failures: Readonly<Record<BobFailureReason, number>>,
): void {
  new Gauge({
    name: 'peerwire_bob_peers',
    help: 'bob handshake connections, by role (sender = bob server, receiver = bob client, unregistered)',
    labelNames: ['role'],
    registers: [registry],
    collect() {
      const s = relay.stats;
      this.set({ role: 'sender' }, s.servers);
      this.set({ role: 'receiver' }, s.clients);
      this.set({ role: 'unregistered' }, Math.max(0, s.connections - s.servers - s.clients));
    },
  });
  new Gauge({
    name: 'peerwire_bob_active_pipes',
    help: 'bob secure-room pipes open now (transfers under way)',
    registers: [registry],
    collect() {
      this.set(relay.stats.activePipes);
    },
  });
  const mirror = (name: string, help: string, read: () => number) =>
    mirrored(registry, name, help, read);
  mirror('peerwire_bob_pairings_total', 'bob handshakes that ended in Accepted', () => {
    return relay.stats.pairings;
  });
  mirror('peerwire_bob_pipes_total', 'bob secure-room pipes opened', () => {
    return relay.stats.securePaired;
  });
  mirror(
    'peerwire_bob_bytes_piped_total',
    'bytes copied through bob pipes, both directions',
    () => {
      return relay.stats.bytesPiped;
    },
  );
  const last = new Map<string, number>();
  new Counter({
    name: 'peerwire_bob_failures_total',
    help: 'bob failures, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const reason of BOB_FAILURE_REASONS) {
        const n = failures[reason];
        const prev = last.get(reason) ?? 0;
        this.inc({ reason }, Math.max(0, n - prev));
        last.set(reason, n);
      }
    },
  });
}
