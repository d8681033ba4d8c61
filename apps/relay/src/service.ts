/**
 * The one shape every protocol takes inside the daemon. A service is started from its own config
 * section with the shared context (logger, metrics registry, data directory) and hands back what
 * the daemon needs to run it: a graceful `close`, its metrics, and a `health` report that
 * `/healthz` aggregates. `server.ts` composes a list of these instead of wiring each protocol.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface ServiceContext {
  /** The relay's logger; a service logs through `logger.child({ service: name })`. */
  readonly logger: Logger;
  /** The relay's Prometheus registry: a service registers its `peerwire_<name>_*` metrics here. */
  readonly registry: Registry;
  /** The interface the relay listens on (`--host`); services bind their ports on it. */
  readonly host: string;
  /** The relay's data directory; a service keeps its files under `<dataDir>/<name>`. */
  readonly dataDir: string;
  /** `--memory`: nothing may be written to disk. */
  readonly memory: boolean;
  /** The relay's version, e.g. `0.1.0`. */
  readonly version: string;
}

export interface ServiceHealth {
  /** false turns `/healthz` into 503 `degraded`. */
  readonly ok: boolean;
  /** Figures and facts shown under the service's name in `/healthz`. */
  readonly [key: string]: unknown;
}

export interface RunningService {
  readonly name: string;
  /** The ports the service bound, by role (useful with port 0). */
  readonly ports: Readonly<Record<string, number>>;
  /** Names of the metrics the service registered in `context.registry`. */
  readonly metrics: readonly string[];
  health(): ServiceHealth;
  /** Graceful stop: refuse new work, let running work end within `graceMs`, then cut. */
  close(graceMs: number): Promise<void>;
}

/**
 * A protocol hosted by the daemon. `section` picks the service's config section out of the whole
 * relay config (e.g. `config.bob`); `start` runs only when that section says `enabled`.
 */
export interface RelayService<
  Section extends { readonly enabled: boolean },
  Config,
  Running extends RunningService = RunningService,
> {
  readonly name: string;
  section(config: Config): Section;
  start(section: Section, context: ServiceContext): Promise<Running>;
}

/** Names of the metrics registered in `registry` since `before` was taken (`registry.getMetricsAsArray()`). */
export function metricNamesSince(registry: Registry, before: readonly string[]): string[] {
  const known = new Set(before);
  return registry
    .getMetricsAsArray()
    .map((m) => m.name)
    .filter((n) => !known.has(n));
}
