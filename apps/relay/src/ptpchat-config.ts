/**
 * Configuration of the relay's ptpchat node (`ptpchat.*`): on by default, a `server` node that
 * chat peers use as their neighbour and as the rendezvous `S` of CONNECT (spec §9), on its own
 * TCP port and UDP port. Part of the relay's config (file < PEERWIRE_* environment < flags);
 * `config.ts` mounts it under the `ptpchat` key.
 */
import { DEFAULT_LIMITS } from '@peerwire/ptpchat';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Default ptpchat TCP port. The reference port 9001 (spec §1.1) is bob's secure-room port in
 * this daemon, so ptpchat takes 9011: unprivileged, and none of the relay's other defaults
 * (8080 HTTP, 9000/9001 bob, 4000/4001 Datt).
 */
export const DEFAULT_PTPCHAT_PORT = 9011;
/** Default ptpchat UDP port (CONNECT rendezvous, §9): the same number as the TCP port, over UDP. */
export const DEFAULT_PTPCHAT_UDP_PORT = 9011;
/** Default name part of the relay's node id (`relay@<GUID>`; the GUID is kept in the data dir). */
export const DEFAULT_PTPCHAT_NAME = 'relay';

const port = z.number().int().min(0).max(65535);

const PtpchatLimitsSchema = z
  .object(
    Object.fromEntries(
      Object.keys(DEFAULT_LIMITS).map((k) => [k, z.number().int().positive().optional()]),
    ),
  )
  .strict();

export const PtpchatConfigSchema = z
  .object({
    /** Run the ptpchat node (`--no-ptpchat` turns it off). */
    enabled: z.boolean().default(true),
    /** TCP port chat peers dial (0 = any free port). */
    port: port.default(DEFAULT_PTPCHAT_PORT),
    /** Open the UDP socket for the CONNECT rendezvous (`--no-ptpchat-udp` turns it off). */
    udp: z.boolean().default(true),
    /** UDP port of the rendezvous (0 = any free port). */
    udpPort: port.default(DEFAULT_PTPCHAT_UDP_PORT),
    /** Name part of the node id (1-64 letters and digits, spec §2.3). */
    name: z
      .string()
      .regex(/^[A-Za-z0-9]{1,64}$/, '1 to 64 ASCII letters and digits')
      .default(DEFAULT_PTPCHAT_NAME),
    /** Engine limits (see @peerwire/ptpchat PtpchatLimits); unset ones keep their defaults. */
    limits: PtpchatLimitsSchema.default({}),
  })
  .strict()
  .prefault({});

export type PtpchatConfig = z.infer<typeof PtpchatConfigSchema>;

type EnvType = 'string' | 'number' | 'boolean' | 'list';

/** PEERWIRE_PTPCHAT_* variables, each mapped to a `ptpchat` option. Limits: PEERWIRE_PTPCHAT_LIMIT_<NAME>. */
export const PTPCHAT_ENV_OPTIONS: Record<string, { key: keyof PtpchatConfig; type: EnvType }> = {
  PEERWIRE_PTPCHAT: { key: 'enabled', type: 'boolean' },
  PEERWIRE_PTPCHAT_PORT: { key: 'port', type: 'number' },
  PEERWIRE_PTPCHAT_UDP: { key: 'udp', type: 'boolean' },
  PEERWIRE_PTPCHAT_UDP_PORT: { key: 'udpPort', type: 'number' },
  PEERWIRE_PTPCHAT_NAME: { key: 'name', type: 'string' },
};

export const ptpchatLimitEnvName = (name: string) =>
  `PEERWIRE_PTPCHAT_LIMIT_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/**
 * The `ptpchat` options found in the environment (undefined when there are none); `convert`
 * turns a variable's text into its type and names the variable when it cannot.
 */
export function ptpchatConfigFromEnv(
  env: NodeJS.ProcessEnv,
  convert: (raw: string, type: EnvType, source: string) => unknown,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [name, { key, type }] of Object.entries(PTPCHAT_ENV_OPTIONS)) {
    const raw = env[name];
    if (raw !== undefined) out[key] = convert(raw, type, name);
  }
  const limits: Record<string, unknown> = {};
  for (const limit of Object.keys(DEFAULT_LIMITS)) {
    const name = ptpchatLimitEnvName(limit);
    const raw = env[name];
    if (raw !== undefined) limits[limit] = convert(raw, 'number', name);
  }
  if (Object.keys(limits).length > 0) out.limits = limits;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Parses `--ptpchat-limit name=value` flags into `ptpchat.limits`. */
export function parsePtpchatLimitFlags(
  values: readonly string[] | undefined,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values ?? []) {
    const m = /^([A-Za-z]+)=(\d+)$/.exec(v.trim());
    if (!m || !(m[1]! in DEFAULT_LIMITS)) {
      throw new PtpchatLimitFlagError(
        `--ptpchat-limit ${v}: expected name=integer with name one of ${Object.keys(DEFAULT_LIMITS).join(', ')}`,
      );
    }
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** A `--ptpchat-limit` flag that is not `name=integer` with a known name (a usage error). */
export class PtpchatLimitFlagError extends ConfigError {
  constructor(message: string) {
    super(message, 'BAD_PTPCHAT_LIMIT');
  }
}

/** Lines of `--help-config` for the `ptpchat` options. */
export function describePtpchatConfig(): string[] {
  const lines = [
    '',
    '  ptpchat node (neighbour and CONNECT rendezvous for `peerwire chat`; see the README):',
    '  ptpchat.enabled   PEERWIRE_PTPCHAT             true       run the ptpchat node (flag: --no-ptpchat turns it off)',
    `  ptpchat.port      PEERWIRE_PTPCHAT_PORT        ${String(DEFAULT_PTPCHAT_PORT).padEnd(10)} TCP port, 0 = any (--ptpchat-port; not the reference 9001, bob's)`,
    '  ptpchat.udp       PEERWIRE_PTPCHAT_UDP         true       UDP socket for the rendezvous (flag: --no-ptpchat-udp)',
    `  ptpchat.udpPort   PEERWIRE_PTPCHAT_UDP_PORT    ${String(DEFAULT_PTPCHAT_UDP_PORT).padEnd(10)} UDP port, 0 = any (--ptpchat-udp-port)`,
    `  ptpchat.name      PEERWIRE_PTPCHAT_NAME        ${DEFAULT_PTPCHAT_NAME.padEnd(10)} name part of the node id <name>@<GUID>`,
    '  ptpchat.limits.<name> PEERWIRE_PTPCHAT_LIMIT_<NAME> see below; flag: --ptpchat-limit <name>=<value> (repeatable)',
  ];
  for (const [name, value] of Object.entries(DEFAULT_LIMITS)) {
    lines.push(`    ${name.padEnd(28)} ${ptpchatLimitEnvName(name).padEnd(52)} ${value}`);
  }
  lines.push(
    '  The node id and its keys are kept in <dataDir>/ptpchat (node-id, keychain), pinned peer',
    '  certificates in <dataDir>/ptpchat/pins.json; a fresh identity per run with --memory.',
  );
  return lines;
}
