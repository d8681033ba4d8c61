/**
 * Configuration of the relay's Datt node (`datt.*`): off by default; when on, a content node on
 * its own TCP and WebSocket ports, with optional prices. Part of the relay's config (file <
 * PEERWIRE_* environment < flags); `config.ts` mounts it under the `datt` key.
 */
import {
  addressFromString,
  DATT_LIMIT_DESCRIPTIONS,
  DattError,
  DEFAULT_DATT_LIMITS,
} from '@peerwire/datt';
import { z } from 'zod';
import { formatRows, limitRows, shapeRows } from './config-help.js';

/** Default Datt TCP port (the spec leaves it open, §12; 4000 as in its `init` example). */
export const DEFAULT_DATT_PORT = 4000;
/** Default Datt WebSocket port. */
export const DEFAULT_DATT_WS_PORT = 4001;
/** Default content kept by a `--memory` relay's Datt node: 64 MiB. */
export const DEFAULT_DATT_MEMORY_STORE_BYTES = 64 * 1024 * 1024;

const port = z.number().int().min(0).max(65535);
const satoshis = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const DattLimitsSchema = z
  .object(
    Object.fromEntries(
      Object.entries(DATT_LIMIT_DESCRIPTIONS).map(([k, text]) => [
        k,
        z.number().int().positive().optional().describe(text),
      ]),
    ),
  )
  .strict();

export const DattConfigSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe('run a Datt content node beside the Spot relay (--datt)'),
    port: port
      .default(DEFAULT_DATT_PORT)
      .describe('Datt TCP port, 0 = any free port (--datt-port)'),
    wsPort: port
      .default(DEFAULT_DATT_WS_PORT)
      .describe('Datt WebSocket port, 0 = any free port (--datt-ws-port)'),
    wsPath: z
      .string()
      .regex(/^\/[^?#\s]*$/, 'a path starting with / (no query)')
      .default('/')
      .describe('path of the Datt WebSocket endpoint'),
    getPrice: satoshis
      .default(0)
      .describe('satoshis asked before serving content, 0 = free (--datt-get-price)'),
    postPrice: satoshis
      .default(0)
      .describe('satoshis asked before storing posted content, 0 = free (--datt-post-price)'),
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
      .optional()
      .describe('Base58Check address payments go to; unset: the node key (--datt-pay-to)'),
    advertise: z
      .array(z.string().min(1).max(255))
      .max(16)
      .default([])
      .describe('URIs announced in init/initack (where peers reach this node)'),
    memoryStoreBytes: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_DATT_MEMORY_STORE_BYTES)
      .describe('bytes of content kept in memory when the relay runs with --memory'),
    limits: DattLimitsSchema.default({}).describe(
      'engine limits (see @peerwire/datt DattLimits); unset ones keep their defaults',
    ),
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

/** The `datt` object schema (inside its `prefault`), whose fields the help describes. */
export const DattOptionsSchema = DattConfigSchema.unwrap();

/** Lines of `--help-config` for the `datt` options, generated from the schema. */
export function describeDattConfig(): string[] {
  const env = (key: string) => Object.entries(DATT_ENV_OPTIONS).find(([, o]) => o.key === key)?.[0];
  return [
    '',
    '  Datt node (off unless datt.enabled; see the Datt section of the README):',
    ...formatRows(shapeRows(DattOptionsSchema.shape, { prefix: 'datt.', env, skip: ['limits'] })),
    `  datt.limits.<name>: ${DattOptionsSchema.shape.limits.description}; env PEERWIRE_DATT_LIMIT_<NAME>`,
    ...formatRows(
      limitRows(DattLimitsSchema.shape, DEFAULT_DATT_LIMITS, 'datt.limits.', dattLimitEnvName),
      '    ',
    ),
    '  Content is kept in <dataDir>/datt (in memory with --memory); the node key in',
    '  <dataDir>/datt/node.key (a fresh one per run with --memory).',
  ];
}
