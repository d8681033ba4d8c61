/**
 * Configuration of the relay's natbase base server (`natbase.*`): off by default, because a
 * base must advertise the UDP address clients reach it on (STATE, spec §6) and the relay cannot
 * guess a public address behind a wildcard `--host`. Mounted under `natbase` by `config.ts`.
 */
import { DEFAULT_BASE_SERVER_LIMITS, parseEndpoint } from '@peerwire/natbase';
import { z } from 'zod';

/** Default TCP and UDP port: unprivileged (reference clients use 443, spec §16), and clear of
 * the relay's 8080, bob's 9000/9001, Datt's 4000/4001. */
export const DEFAULT_NATBASE_PORT = 5443;

const port = z.number().int().min(0).max(65535);
const endpoint = z.string().refine(
  (s) => {
    try {
      parseEndpoint(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'ip:port or [ip6]:port' },
);

export const NatbaseConfigSchema = z
  .object({
    /** Run the natbase base server beside the Spot relay. */
    enabled: z.boolean().default(false),
    /** TCP port (0 = any free port). */
    port: port.default(DEFAULT_NATBASE_PORT),
    /** UDP port of the primary base address (default: the TCP port; 0 = any). */
    udpPort: port.optional(),
    /** Address advertised in STATE, `ip:port`; needed when `host` is a wildcard (0.0.0.0, ::). */
    publicAddress: endpoint.optional(),
    /** BaseServer limits (see @peerwire/natbase DEFAULT_BASE_SERVER_LIMITS). */
    limits: z
      .object(
        Object.fromEntries(
          Object.keys(DEFAULT_BASE_SERVER_LIMITS).map((k) => [k, z.number().positive().optional()]),
        ),
      )
      .strict()
      .default({}),
  })
  .strict()
  .prefault({});

export type NatbaseConfig = z.infer<typeof NatbaseConfigSchema>;

export const NATBASE_ENV_OPTIONS = {
  PEERWIRE_NATBASE: { key: 'enabled', type: 'boolean' },
  PEERWIRE_NATBASE_PORT: { key: 'port', type: 'number' },
  PEERWIRE_NATBASE_UDP_PORT: { key: 'udpPort', type: 'number' },
  PEERWIRE_NATBASE_PUBLIC_ADDRESS: { key: 'publicAddress', type: 'string' },
} as const;

export const natbaseLimitEnvName = (name: string) =>
  `PEERWIRE_NATBASE_LIMIT_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** `natbase` options from PEERWIRE_NATBASE_* variables, or undefined when none is set. */
export function natbaseConfigFromEnv(
  env: NodeJS.ProcessEnv,
  convert: (raw: string, type: 'string' | 'number' | 'boolean' | 'list', source: string) => unknown,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [name, { key, type }] of Object.entries(NATBASE_ENV_OPTIONS)) {
    const raw = env[name];
    if (raw !== undefined) out[key] = convert(raw, type, name);
  }
  const limits: Record<string, unknown> = {};
  for (const limit of Object.keys(DEFAULT_BASE_SERVER_LIMITS)) {
    const raw = env[natbaseLimitEnvName(limit)];
    if (raw !== undefined) limits[limit] = convert(raw, 'number', natbaseLimitEnvName(limit));
  }
  if (Object.keys(limits).length > 0) out.limits = limits;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Lines of `--help-config` for the `natbase` options. */
export function describeNatbaseConfig(): string[] {
  const lines = [
    '',
    '  natbase base server (off unless natbase.enabled; see the natbase section of the README):',
    '  natbase.enabled       PEERWIRE_NATBASE             false      run the base server (--natbase)',
    `  natbase.port          PEERWIRE_NATBASE_PORT        ${DEFAULT_NATBASE_PORT}       TCP port, 0 = any (--natbase-port)`,
    '  natbase.udpPort       PEERWIRE_NATBASE_UDP_PORT    (port)     UDP port of the primary address',
    '  natbase.publicAddress PEERWIRE_NATBASE_PUBLIC_ADDRESS (host)  ip:port advertised in STATE (needed with a wildcard host)',
    '  natbase.limits.<name> PEERWIRE_NATBASE_LIMIT_<NAME> see below',
  ];
  for (const [name, value] of Object.entries(DEFAULT_BASE_SERVER_LIMITS)) {
    lines.push(`    ${name.padEnd(28)} ${natbaseLimitEnvName(name).padEnd(52)} ${value}`);
  }
  return lines;
}
