/**
 * The relay's configuration: defaults < config file (JSON) < PEERWIRE_* environment < flags.
 * Every option is validated with zod; an invalid value stops the relay with a message naming
 * the option and where it came from.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_RELAY_LIMITS, RELAY_LIMIT_DESCRIPTIONS, type RelayLimits } from '@peerwire/relay';
import { z } from 'zod';
import { BOB_LIMITS, BobConfigSchema, bobLimitEnvName, describeBobConfig } from './bob.js';
import { ClusterConfigSchema, clusterConfigFromEnv, describeClusterConfig } from './cluster.js';
import { formatRows, limitRows, shapeRows } from './config-help.js';
import { DattConfigSchema, dattConfigFromEnv, describeDattConfig } from './datt-config.js';
import { ConfigError } from './errors.js';
import {
  describeNatbaseConfig,
  NatbaseConfigSchema,
  natbaseConfigFromEnv,
} from './natbase-config.js';
import {
  describePtpchatConfig,
  PtpchatConfigSchema,
  ptpchatConfigFromEnv,
} from './ptpchat-config.js';

const positive = z.number().positive().finite();

export const LimitsSchema = z
  .object(
    Object.fromEntries(
      Object.entries(RELAY_LIMIT_DESCRIPTIONS).map(([k, text]) => [
        k,
        positive.optional().describe(text),
      ]),
    ),
  )
  .strict();

export const ConfigSchema = z
  .object({
    host: z.string().min(1).default('0.0.0.0').describe('interface to listen on'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(8080)
      .describe('HTTP(S) port for everything: /_websocket, discovery, /healthz, /metrics'),
    dataDir: z
      .string()
      .min(1)
      .default('./data')
      .describe('where IDCards, blobs and memberships persist'),
    memory: z
      .boolean()
      .default(false)
      .describe('keep everything in memory instead of dataDir; nothing persists'),
    serverCode: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, '1 to 32 letters, digits, - or _')
      .optional()
      .describe('short relay name in c.<srv>.<id>; unset: generated once and kept in dataDir'),
    publicHosts: z
      .array(z.string().min(1))
      .default([])
      .describe('host names the discovery endpoint lists; none: the Host header of the request'),
    minConnections: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('min_conn in discovery answers (0 = as many as hosts)'),
    tlsCert: z
      .string()
      .min(1)
      .optional()
      .describe('PEM certificate file: serve HTTPS and WSS (with tlsKey)'),
    tlsKey: z.string().min(1).optional().describe('PEM private key file for tlsCert'),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('fatal, error, warn, info, debug, trace or silent'),
    shutdownGraceMs: z
      .number()
      .int()
      .nonnegative()
      .default(10_000)
      .describe('how long shutdown waits for connections to drain (ms)'),
    limits: LimitsSchema.default({}).describe(
      'relay limits (see @peerwire/relay RelayLimits); unset ones keep their defaults',
    ),
    /** The Datt node (off by default; see datt-config.ts). */
    datt: DattConfigSchema,
    /** The bob relay (see bob.ts): enabled, ports, limits. */
    bob: BobConfigSchema.prefault({}),
    /** Relay cluster on Redis/Valkey (see cluster.ts); off unless cluster.url is set. */
    cluster: ClusterConfigSchema,
    /** The ptpchat node (on by default; see ptpchat-config.ts). */
    ptpchat: PtpchatConfigSchema,
    /** The natbase base server (off by default; see natbase-config.ts). */
    natbase: NatbaseConfigSchema,
  })
  .strict()
  .refine((c) => (c.tlsCert === undefined) === (c.tlsKey === undefined), {
    message: 'tlsCert and tlsKey must be given together',
  })
  .superRefine((c, ctx) => {
    // Two services on one TCP port would fail at start; say which options collide instead.
    const tcp: [string, number, boolean][] = [
      ['port', c.port, true],
      ['bob.port', c.bob.port, c.bob.enabled],
      ['bob.securePort', c.bob.securePort, c.bob.enabled],
      ['datt.port', c.datt.port, c.datt.enabled],
      ['datt.wsPort', c.datt.wsPort, c.datt.enabled],
      ['ptpchat.port', c.ptpchat.port, c.ptpchat.enabled],
    ];
    const seen = new Map<number, string>();
    for (const [name, port, on] of tcp) {
      if (!on || port === 0) continue;
      const other = seen.get(port);
      if (other && name.startsWith('ptpchat'))
        ctx.addIssue({
          code: 'custom',
          path: name.split('.'),
          message: `TCP port ${port} is also ${other}`,
        });
      seen.set(port, other ?? name);
    }
  });

export type RelayConfig = z.infer<typeof ConfigSchema> & { limits: Partial<RelayLimits> };

/** Environment variables, each mapped to an option. Limits: PEERWIRE_LIMIT_<NAME_IN_CAPS>. */
export const ENV_OPTIONS: Record<
  string,
  { key: string; type: 'string' | 'number' | 'boolean' | 'list' }
> = {
  PEERWIRE_HOST: { key: 'host', type: 'string' },
  PEERWIRE_PORT: { key: 'port', type: 'number' },
  PEERWIRE_DATA_DIR: { key: 'dataDir', type: 'string' },
  PEERWIRE_MEMORY: { key: 'memory', type: 'boolean' },
  PEERWIRE_SERVER_CODE: { key: 'serverCode', type: 'string' },
  PEERWIRE_PUBLIC_HOSTS: { key: 'publicHosts', type: 'list' },
  PEERWIRE_MIN_CONNECTIONS: { key: 'minConnections', type: 'number' },
  PEERWIRE_TLS_CERT: { key: 'tlsCert', type: 'string' },
  PEERWIRE_TLS_KEY: { key: 'tlsKey', type: 'string' },
  PEERWIRE_LOG_LEVEL: { key: 'logLevel', type: 'string' },
  PEERWIRE_SHUTDOWN_GRACE_MS: { key: 'shutdownGraceMs', type: 'number' },
  PEERWIRE_BOB_ENABLED: { key: 'bob.enabled', type: 'boolean' },
  PEERWIRE_BOB_PORT: { key: 'bob.port', type: 'number' },
  PEERWIRE_BOB_SECURE_PORT: { key: 'bob.securePort', type: 'number' },
  PEERWIRE_BOB_CHECK_SECURE_ADDRESS: { key: 'bob.checkSecureAddress', type: 'boolean' },
};

export const limitEnvName = (name: string) =>
  `PEERWIRE_LIMIT_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

export { ConfigError } from './errors.js';

function convert(
  raw: string,
  type: 'string' | 'number' | 'boolean' | 'list',
  source: string,
): unknown {
  switch (type) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n))
        throw new ConfigError(`${source}: ${JSON.stringify(raw)} is not a number`);
      return n;
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new ConfigError(`${source}: ${JSON.stringify(raw)} is not a boolean (true/false)`);
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return raw;
  }
}

/** Options from PEERWIRE_* variables. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, { key, type }] of Object.entries(ENV_OPTIONS)) {
    const raw = env[name];
    if (raw === undefined) continue;
    const [outer, inner] = key.split('.') as [string, string | undefined];
    if (inner === undefined) out[key] = convert(raw, type, name);
    else out[outer] = { ...(out[outer] as object | undefined), [inner]: convert(raw, type, name) };
  }
  const limits: Record<string, unknown> = {};
  for (const limit of Object.keys(DEFAULT_RELAY_LIMITS)) {
    const name = limitEnvName(limit);
    const raw = env[name];
    if (raw !== undefined) limits[limit] = convert(raw, 'number', name);
  }
  if (Object.keys(limits).length > 0) out.limits = limits;
  const cluster = clusterConfigFromEnv(env, convert);
  if (cluster) out.cluster = cluster;
  const datt = dattConfigFromEnv(env, convert);
  if (datt) out.datt = datt;
  const ptpchat = ptpchatConfigFromEnv(env, convert);
  if (ptpchat) out.ptpchat = ptpchat;
  const natbase = natbaseConfigFromEnv(env, convert);
  if (natbase) out.natbase = natbase;
  const bobLimits: Record<string, unknown> = {};
  for (const limit of Object.keys(BOB_LIMITS)) {
    const raw = env[bobLimitEnvName(limit)];
    if (raw !== undefined) bobLimits[limit] = convert(raw, 'number', bobLimitEnvName(limit));
  }
  if (Object.keys(bobLimits).length > 0)
    out.bob = { ...(out.bob as object | undefined), limits: bobLimits };
  return out;
}

/** Reads a JSON config file. */
export function configFromFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `config file ${path} is not a JSON object: ${(error as Error).message}`,
      'BAD_CONFIG',
      {
        cause: error,
      },
    );
  }
  if (!isPlainObject(value))
    throw new ConfigError(`config file ${path} is not a JSON object: not a JSON object`);
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `b` over `a`, nested objects merged key by key (so `datt.port` from a flag keeps `datt.enabled` from the file). */
function mergeDeep(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeDeep(out[k], v) : v;
  }
  return out;
}

/** Merges the layers (later wins; limits and nested sections merge key by key) and validates the result. */
export function resolveConfig(...layers: Record<string, unknown>[]): RelayConfig {
  const merged: Record<string, unknown> = {};
  const limits: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if (k === 'limits' && typeof v === 'object' && v !== null) Object.assign(limits, v);
      else if (isPlainObject(v) && isPlainObject(merged[k])) merged[k] = mergeDeep(merged[k], v);
      else merged[k] = v;
    }
  }
  merged.limits = limits;
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join('.') || '(config)'}: ${i.message}`,
    );
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data as RelayConfig;
}

/** The sections of the config documented by their own modules (not rows of the core table). */
export const CONFIG_SECTIONS = ['limits', 'datt', 'bob', 'cluster', 'ptpchat', 'natbase'] as const;

/** The environment variable of a top-level option, if it has one. */
export function envNameOf(key: string): string | undefined {
  return Object.entries(ENV_OPTIONS).find(([, o]) => o.key === key)?.[0];
}

/** Documentation of every option, printed by `--help-config`: generated from the schemas. */
export function describeConfig(): string {
  const rows = [
    { option: 'option', env: 'env', default: 'default', meaning: 'meaning' },
    ...shapeRows(ConfigSchema.shape, { env: envNameOf, skip: CONFIG_SECTIONS }),
  ];
  const lines = [
    'Configuration (JSON file given with --config; PEERWIRE_* variables and flags override it):',
    '',
    ...formatRows(rows),
    '',
    `  limits.<name>: ${ConfigSchema.shape.limits.description}; env PEERWIRE_LIMIT_<NAME>`,
    ...formatRows(
      limitRows(LimitsSchema.shape, DEFAULT_RELAY_LIMITS, 'limits.', limitEnvName),
      '    ',
    ),
  ];
  lines.push(...describeDattConfig());
  lines.push(...describeBobConfig());
  lines.push(...describeClusterConfig());
  lines.push(...describePtpchatConfig());
  lines.push(...describeNatbaseConfig());
  return lines.join('\n');
}
