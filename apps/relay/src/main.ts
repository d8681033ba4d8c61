#!/usr/bin/env node
/**
 * peerwire-relay: the relay daemon. Options come from a JSON config file, PEERWIRE_* variables
 * and flags (flags win); `--help-config` documents every option.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { parseBobLimitFlags } from './bob.js';
import {
  ConfigError,
  ConfigSchema,
  configFromEnv,
  configFromFile,
  describeConfig,
  resolveConfig,
} from './config.js';
import { flagHelp } from './config-help.js';
import { DattOptionsSchema } from './datt-config.js';
import { PtpchatLimitFlagError, parsePtpchatLimitFlags } from './ptpchat-config.js';
import { repairLevelOnly, repairStore } from './repair-store.js';
import { startRelayServer } from './server.js';
import { StoreCorruptRecordError, StoreDamagedError, StoreLockedError } from './store-errors.js';

// Flag help from the config schema's descriptions and defaults (never repeated by hand here).
const option = ConfigSchema.shape;
const datt = DattOptionsSchema.shape;

// Files the relay creates (the LevelDB store among them) are private to its user: 0600/0700.
process.umask(0o077);

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return n;
}

function satoshis(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('an amount in satoshis is a whole number from 0');
  return n;
}

const program = new Command()
  .name('peerwire-relay')
  .description(
    'peerwire relay daemon: Spot relay on one HTTP(S) port (/_websocket, discovery, /healthz, /metrics)',
  )
  .version(version)
  .option('-c, --config <file>', 'JSON config file (env: PEERWIRE_CONFIG)')
  .option('--host <host>', flagHelp(option.host))
  .option('-p, --port <port>', flagHelp(option.port), port)
  .option('-d, --data-dir <dir>', flagHelp(option.dataDir))
  .option('--memory', flagHelp(option.memory))
  .option('--server-code <code>', flagHelp(option.serverCode))
  .option('--public-host <host...>', flagHelp(option.publicHosts))
  .option('--cluster <url>', 'join a relay cluster: redis://host:port[/db] (env: PEERWIRE_CLUSTER)')
  .option('--tls-cert <file>', flagHelp(option.tlsCert))
  .option('--tls-key <file>', flagHelp(option.tlsKey))
  .option('--log-level <level>', flagHelp(option.logLevel))
  .option('--datt', flagHelp(datt.enabled))
  .option('--datt-port <port>', flagHelp(datt.port), port)
  .option('--datt-ws-port <port>', flagHelp(datt.wsPort), port)
  .option('--datt-get-price <satoshis>', flagHelp(datt.getPrice), satoshis)
  .option('--datt-post-price <satoshis>', flagHelp(datt.postPrice), satoshis)
  .option('--datt-pay-to <address>', flagHelp(datt.payTo))
  .option('--bob-port <port>', 'bob relay handshake port (default 9000)', port)
  .option('--bob-secure-port <port>', 'bob relay secure-room port (default 9001)', port)
  .option('--no-bob', 'do not serve the bob relay')
  .option(
    '--natbase',
    'run the natbase base server (needs natbase.publicAddress with a wildcard --host)',
  )
  .option(
    '--natbase-port <port>',
    'natbase TCP and UDP port (default 5443; 0 = any free port)',
    port,
  )
  .option(
    '--no-bob-check-secure-address',
    'let any address join a bob secure-room pairing (default: only the handshake addresses)',
  )
  .option('--bob-limit <name=value...>', 'a bob relay limit (see --help-config)')
  .option(
    '--repair-store',
    'repair a damaged store in the data directory (LevelDB repair, corrupt records removed) and exit',
  )
  .option('--ptpchat-port <port>', 'ptpchat TCP port (default 9011; 0 = any free port)', port)
  .option('--ptpchat-udp-port <port>', 'ptpchat rendezvous UDP port (default 9011)', port)
  .option('--no-ptpchat', 'do not run the ptpchat node')
  .option('--no-ptpchat-udp', 'no UDP socket for the ptpchat rendezvous (CONNECT)')
  .option('--ptpchat-limit <name=value...>', 'a ptpchat node limit (see --help-config)')
  .option('--help-config', 'describe every configuration option and exit')
  .showHelpAfterError()
  // Usage errors (bad value, unknown flag) exit 2 as the README documents; --help/--version exit 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

program.parse();
const flags = program.opts<{
  config?: string;
  host?: string;
  port?: number;
  dataDir?: string;
  memory?: boolean;
  serverCode?: string;
  publicHost?: string[];
  cluster?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel?: string;
  helpConfig?: boolean;
  repairStore?: boolean;
  datt?: boolean;
  dattPort?: number;
  dattWsPort?: number;
  dattGetPrice?: number;
  dattPostPrice?: number;
  dattPayTo?: string;
  bob?: boolean;
  natbase?: boolean;
  natbasePort?: number;
  bobPort?: number;
  bobSecurePort?: number;
  bobCheckSecureAddress?: boolean;
  bobLimit?: string[];
  ptpchat?: boolean;
  ptpchatPort?: number;
  ptpchatUdpPort?: number;
  ptpchatUdp?: boolean;
  ptpchatLimit?: string[];
}>();

if (flags.helpConfig) {
  console.log(describeConfig());
  process.exit(0);
}

let config: ReturnType<typeof resolveConfig>;
try {
  const file = flags.config ?? process.env.PEERWIRE_CONFIG;
  config = resolveConfig(file ? configFromFile(file) : {}, configFromEnv(process.env), {
    host: flags.host,
    port: flags.port,
    dataDir: flags.dataDir,
    memory: flags.memory,
    serverCode: flags.serverCode,
    publicHosts: flags.publicHost,
    cluster: { url: flags.cluster },
    tlsCert: flags.tlsCert,
    tlsKey: flags.tlsKey,
    logLevel: flags.logLevel,
    datt: {
      enabled: flags.datt,
      port: flags.dattPort,
      wsPort: flags.dattWsPort,
      getPrice: flags.dattGetPrice,
      postPrice: flags.dattPostPrice,
      payTo: flags.dattPayTo,
    },
    natbase: { enabled: flags.natbase, port: flags.natbasePort },
    bob: {
      enabled: flags.bob === false ? false : undefined,
      port: flags.bobPort,
      securePort: flags.bobSecurePort,
      checkSecureAddress: flags.bobCheckSecureAddress === false ? false : undefined,
      limits: parseBobLimitFlags(flags.bobLimit),
    },
    ptpchat: {
      enabled: flags.ptpchat === false ? false : undefined,
      port: flags.ptpchatPort,
      udp: flags.ptpchatUdp === false ? false : undefined,
      udpPort: flags.ptpchatUdpPort,
      limits: parsePtpchatLimitFlags(flags.ptpchatLimit),
    },
  });
} catch (error) {
  if (error instanceof ConfigError || error instanceof PtpchatLimitFlagError) {
    console.error(`peerwire-relay: ${error.message}`);
    console.error('Run peerwire-relay --help-config for every option.');
    process.exit(2);
  }
  throw error;
}

if (flags.repairStore) {
  const dir = join(config.dataDir, 'spot');
  try {
    const report = await repairStore(dir);
    console.log(
      `peerwire-relay: repaired the store in ${dir}: ${report.kept} records kept, ${report.removed.length} corrupt records removed, blob usage recounted for ${report.owners} identities`,
    );
    for (const key of report.removed) console.log(`  removed ${key}`);
    // The Datt content store (LevelDB, its records are content-addressed and verified by
    // readers), when there is one: LevelDB's repair only.
    const datt = join(config.dataDir, 'datt', 'content');
    if (existsSync(join(datt, 'CURRENT')) || (existsSync(datt) && readdirSync(datt).length > 0)) {
      await repairLevelOnly(datt);
      console.log(`peerwire-relay: repaired the Datt content store in ${datt} (LevelDB repair)`);
    }
    process.exit(0);
  } catch (error) {
    console.error(`peerwire-relay: cannot repair the store in ${dir}: ${(error as Error).message}`);
    process.exit(1);
  }
}

const logger = pino({ level: config.logLevel, base: { service: 'peerwire-relay' } });

try {
  const running = await startRelayServer(config, { logger, version });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'signal received');
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    logger.fatal(
      `port ${config.port} on ${config.host} is already in use; choose another with --port or PEERWIRE_PORT`,
    );
  } else if (e.code === 'EACCES') {
    logger.fatal(
      `not allowed to listen on ${config.host}:${config.port}; use a port above 1023 or run with the right privileges`,
    );
  } else if (e.code === 'LISTEN_FAILED') {
    logger.fatal(`${e.message}; choose other ports (--datt-port, --datt-ws-port)`);
  } else if (e.code === 'CONNECT_FAILED') {
    logger.fatal(`${e.message}; check --cluster / PEERWIRE_CLUSTER`);
  } else if (e.code === 'BOB_LISTEN_FAILED' || e.code === 'PTPCHAT_LISTEN_FAILED') {
    logger.fatal(e.message);
  } else if (e.code === 'PTPCHAT_IDENTITY' || e.code === 'DATT_KEY_INVALID') {
    logger.fatal(e.message);
  } else if (
    error instanceof StoreDamagedError ||
    error instanceof StoreLockedError ||
    error instanceof StoreCorruptRecordError
  ) {
    logger.fatal({ err: e }, error.message);
  } else {
    logger.fatal({ err: e }, 'relay failed to start');
  }
  process.exit(1);
}
