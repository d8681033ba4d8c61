/**
 * Configuration of the relay's Datt node (`datt.*`): off by default; when on, a content node on
 * its own TCP and WebSocket ports, with optional prices. Part of the relay's config (file <
 * PEERWIRE_* environment < flags); `config.ts` mounts it under the `datt` key.
 */
import { addressFromString, DattError, DEFAULT_DATT_LIMITS } from '@peerwire/datt';
import { z } from 'zod';

/** Default Datt TCP port (the spec leaves it open, §12; 4000 as in its `init` example). */
export const DEFAULT_DATT_PORT = 4000;
/** Default Datt WebSocket port. */
export const DEFAULT_DATT_WS_PORT = 4001;
/** Default content kept by a `--memory` relay's Datt node: 64 MiB. */
export const DEFAULT_DATT_MEMORY_STORE_BYTES = 64 * 1024 * 1024;

const port = z.number().int().min(0).max(65535);
const satoshis = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const DattLimitsSchema = z
  .object(
    Object.fromEntries(
      Object.keys(DEFAULT_DATT_LIMITS).map((k) => [k, z.number().int().positive().optional()]),
    ),
  )
  .strict();

export const DattConfigSchema = z
  .object({
    /** Run a Datt node beside the Spot relay. */
    enabled: z.boolean().default(false),
    /** TCP port of the Datt node (0 = any free port). */
    port: port.default(DEFAULT_DATT_PORT),
    /** WebSocket port of the Datt node (0 = any free port). */
    wsPort: port.default(DEFAULT_DATT_WS_PORT),
    /** Path of the Datt WebSocket endpoint. */
    wsPath: z
      .string()
      .regex(/^\/[^?#\s]*$/, 'a path starting with / (no query)')
      .default('/'),
    /** Satoshis asked before serving content (0 = free). */
    getPrice: satoshis.default(0),
    /** Satoshis asked before storing posted content (0 = free). */
    postPrice: satoshis.default(0),
    /** Base58Check address payments go to; default: the address of the node key. */
    payTo: z
      .string()
      .refine(
        (s) => {
          try {
            addressFromString(s);
            return true;
          } catch (error) {
            if (error instanceof DattError) return false;
            throw error;
          }
        },
        { message: 'not a Base58Check P2PKH or P2SH address' },
      )
      .optional(),
    /** URIs announced in init/initack (where peers can reach this node). */
    advertise: z.array(z.string().min(1).max(255)).max(16).default([]),
    /** Bytes of content kept in memory when the relay runs with --memory. */
    memoryStoreBytes: z.number().int().positive().default(DEFAULT_DATT_MEMORY_STORE_BYTES),
    /** Engine limits (see @peerwire/datt DattLimits); unset ones keep their defaults. */
    limits: DattLimitsSchema.default({}),
  })
  .strict()
  .prefault({});

export type DattConfig = z.infer<typeof DattConfigSchema>;

/** PEERWIRE_DATT_* variables, each mapped to a `datt` option. Limits: PEERWIRE_DATT_LIMIT_<NAME>. */
export const DATT_ENV_OPTIONS: Record<
  string,
  { key: keyof DattConfig; type: 'string' | 'number' | 'boolean' | 'list' }
> = {
  PEERWIRE_DATT: { key: 'enabled', type: 'boolean' },
  PEERWIRE_DATT_PORT: { key: 'port', type: 'number' },
  PEERWIRE_DATT_WS_PORT: { key: 'wsPort', type: 'number' },
  PEERWIRE_DATT_WS_PATH: { key: 'wsPath', type: 'string' },
  PEERWIRE_DATT_GET_PRICE: { key: 'getPrice', type: 'number' },
  PEERWIRE_DATT_POST_PRICE: { key: 'postPrice', type: 'number' },
  PEERWIRE_DATT_PAY_TO: { key: 'payTo', type: 'string' },
  PEERWIRE_DATT_ADVERTISE: { key: 'advertise', type: 'list' },
  PEERWIRE_DATT_MEMORY_STORE_BYTES: { key: 'memoryStoreBytes', type: 'number' },
};

export const dattLimitEnvName = (name: string) =>
  `PEERWIRE_DATT_LIMIT_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/**
 * The `datt` options found in the environment (undefined when there are none); `convert` turns
 * a variable's text into its type and names the variable when it cannot.
 */
export function dattConfigFromEnv(
  env: NodeJS.ProcessEnv,
  convert: (raw: string, type: 'string' | 'number' | 'boolean' | 'list', source: string) => unknown,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [name, { key, type }] of Object.entries(DATT_ENV_OPTIONS)) {
    const raw = env[name];
    if (raw !== undefined) out[key] = convert(raw, type, name);
  }
  const limits: Record<string, unknown> = {};
  for (const limit of Object.keys(DEFAULT_DATT_LIMITS)) {
    const name = dattLimitEnvName(limit);
    const raw = env[name];
    if (raw !== undefined) limits[limit] = convert(raw, 'number', name);
  }
  if (Object.keys(limits).length > 0) out.limits = limits;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Lines of `--help-config` for the `datt` options. */
export function describeDattConfig(): string[] {
  const lines = [
    '',
    '  Datt node (off unless datt.enabled; see the Datt section of the README):',
    '  datt.enabled          PEERWIRE_DATT                false      run a Datt content node (--datt)',
    `  datt.port             PEERWIRE_DATT_PORT           ${String(DEFAULT_DATT_PORT).padEnd(10)} Datt TCP port, 0 = any (--datt-port)`,
    `  datt.wsPort           PEERWIRE_DATT_WS_PORT        ${String(DEFAULT_DATT_WS_PORT).padEnd(10)} Datt WebSocket port, 0 = any (--datt-ws-port)`,
    '  datt.wsPath           PEERWIRE_DATT_WS_PATH        /          path of the Datt WebSocket endpoint',
    '  datt.getPrice         PEERWIRE_DATT_GET_PRICE      0          satoshis asked per download (--datt-get-price)',
    '  datt.postPrice        PEERWIRE_DATT_POST_PRICE     0          satoshis asked per stored post (--datt-post-price)',
    '  datt.payTo            PEERWIRE_DATT_PAY_TO         (node key) Base58Check address paid (--datt-pay-to)',
    '  datt.advertise        PEERWIRE_DATT_ADVERTISE      (none)     comma-separated URIs sent in init/initack',
    `  datt.memoryStoreBytes PEERWIRE_DATT_MEMORY_STORE_BYTES ${DEFAULT_DATT_MEMORY_STORE_BYTES} content kept with --memory`,
    '  datt.limits.<name>    PEERWIRE_DATT_LIMIT_<NAME>   see below',
  ];
  for (const [name, value] of Object.entries(DEFAULT_DATT_LIMITS)) {
    lines.push(`    ${name.padEnd(28)} ${dattLimitEnvName(name).padEnd(48)} ${value}`);
  }
  lines.push(
    '  Content is kept in <dataDir>/datt (in memory with --memory); the node key in',
    '  <dataDir>/datt/node.key (a fresh one per run with --memory).',
  );
  return lines;
}
