/**
 * `peerwire net`: the natbase host agent (Husarnet NgSocket-compatible) from the command line.
 * The natbase device key is an Ed25519 key that passes the fc94 proof of work (spec natbase §4),
 * so it cannot be the Spot identity key: it is kept beside the keychain in `<keychain>.natbase`
 * (hex, mode 0600), created by `net id --new` (or on first `net up`).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  formatDeviceId,
  formatEndpoint,
  generateIdentity,
  type Identity,
  identityFromSecretKey,
  NatbaseError,
  parseDeviceId,
  parseEndpoint,
} from '@peerwire/natbase';
import { NatbaseHost, pooledRandom } from '@peerwire/natbase/node';
import { fromHex, toHex } from '@peerwire/wire';
import { type Command, InvalidArgumentError } from 'commander';
import { CliError } from '../cli-error.js';
import { type GlobalOptions, keychainPath, output, payloadArg, printable } from '../context.js';
import { EXIT } from '../exit-codes.js';

/** Default time to wait for a base and for answers, ms. */
const DEFAULT_NET_TIMEOUT_MS = 10_000;

export function natbaseKeyPath(g: GlobalOptions): string {
  return `${keychainPath(g)}.natbase`;
}

function loadIdentity(g: GlobalOptions, create: boolean): Identity {
  const path = natbaseKeyPath(g);
  if (!existsSync(path)) {
    if (!create) {
      throw new CliError(
        `no natbase key at ${path}; create one with: peerwire net id --new`,
        EXIT.usage,
      );
    }
    const identity = generateIdentity(pooledRandom());
    writeFileSync(path, `${toHex(identity.secretKey)}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    return identity;
  }
  const text = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new CliError(`${path} is not a natbase key (64 hex digits)`, EXIT.usage);
  const identity = identityFromSecretKey(fromHex(text));
  if (identity.deviceId.every((b) => b === 0)) {
    throw new CliError(`${path}: the key fails the device-id proof of work`, EXIT.usage);
  }
  return identity;
}

function baseArg(value: string, previous: string[] = []): string[] {
  try {
    parseEndpoint(value);
  } catch {
    throw new InvalidArgumentError('a base is ip:port or [ip6]:port');
  }
  return [...previous, value];
}

function deviceArg(value: string) {
  try {
    return parseDeviceId(value);
  } catch {
    throw new InvalidArgumentError('a device id is an fc94:: address');
  }
}

interface NetOptions {
  base?: string[];
  port?: number;
  multicast?: string;
}

function withNetOptions(c: Command): Command {
  return c
    .option(
      '-b, --base <ip:port>',
      'a base server (repeat for several; env PEERWIRE_NATBASE_BASES, comma-separated)',
      baseArg,
    )
    .option('--port <port>', 'UDP source port (default 5582, then the next free one)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535)
        throw new InvalidArgumentError('a port is 0 to 65535');
      return n;
    })
    .option(
      '--multicast <interface-address>',
      'link-local discovery on the interface with this IPv4 address',
    );
}

/** Starts the agent and waits for a base to say HELLO; exit 3 when none does in time. */
async function up(g: GlobalOptions, o: NetOptions, create: boolean): Promise<NatbaseHost> {
  const bases =
    o.base ??
    (process.env.PEERWIRE_NATBASE_BASES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (bases.length === 0) throw new CliError('give at least one base: --base ip:port', EXIT.usage);
  let endpoints: ReturnType<typeof parseEndpoint>[];
  try {
    endpoints = bases.map(parseEndpoint);
  } catch (error) {
    throw new CliError(`bad base address: ${(error as Error).message}`, EXIT.usage);
  }
  const host = await NatbaseHost.start({
    identity: loadIdentity(g, create),
    bases: endpoints,
    ...(o.port !== undefined ? { udp: { port: o.port } } : {}),
    multicast: o.multicast ? { interface: o.multicast } : false,
  });
  const timeout = g.timeout ?? DEFAULT_NET_TIMEOUT_MS;
  const end = Date.now() + timeout;
  while (host.base === undefined) {
    if (Date.now() > end) {
      await host.close();
      throw new CliError(
        `no base answered within ${timeout} ms (${bases.join(', ')})`,
        EXIT.offline,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return host;
}

const pathJson = (p: ReturnType<NatbaseHost['peer']>) => ({
  deviceId: formatDeviceId(p.deviceId),
  path: p.path,
  ...(p.target ? { target: formatEndpoint(p.target) } : {}),
  ...(p.rttMs !== undefined ? { rttMs: p.rttMs } : {}),
  ...(p.latencyMs !== undefined ? { latencyMs: p.latencyMs } : {}),
});

/** Resolves on SIGINT / SIGTERM. */
const interrupted = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

export function registerNet(program: Command, globals: () => GlobalOptions): void {
  const net = program
    .command('net')
    .description('natbase host agent: NAT traversal with Husarnet-compatible base servers')
    .addHelpText(
      'after',
      '\nExit codes: 2 usage (bad arguments, no key), 3 unreachable (no base, no answer from the peer).',
    );

  net
    .command('id')
    .description('show the natbase device id (fc94 address) of this keychain')
    .option('--new', 'create the natbase key if there is none')
    .action((opts: { new?: boolean }) => {
      const g = globals();
      const identity = loadIdentity(g, opts.new === true);
      const id = formatDeviceId(identity.deviceId);
      output(
        g,
        {
          deviceId: id,
          address: id,
          publicKey: toHex(identity.publicKey),
          keyFile: natbaseKeyPath(g),
        },
        id,
      );
    });

  withNetOptions(net.command('up'))
    .description('run the host agent until interrupted, printing path changes and datagrams')
    .action(async (o: NetOptions) => {
      const g = globals();
      const host = await up(g, o, true);
      output(
        g,
        { event: 'up', deviceId: formatDeviceId(host.deviceId), base: formatEndpoint(host.base!) },
        `up as ${formatDeviceId(host.deviceId)} via ${formatEndpoint(host.base!)}`,
      );
      host.on('path', (p) =>
        output(
          g,
          { event: 'path', ...pathJson({ ...p, established: false }) },
          `${formatDeviceId(p.deviceId)} ${p.path}`,
        ),
      );
      host.on('datagram', (d) =>
        output(
          g,
          { event: 'datagram', from: formatDeviceId(d.from), path: d.path, ...printable(d.data) },
          `${formatDeviceId(d.from)} (${d.path}): ${printable(d.data).text ?? printable(d.data).hex}`,
        ),
      );
      await interrupted();
      await host.close();
    });

  withNetOptions(net.command('status'))
    .description('connect, probe the given peers (heartbeat) and print their path kind and RTT')
    .argument('[devices...]', 'peers to probe (fc94 addresses)')
    .action(async (devices: string[], o: NetOptions) => {
      const g = globals();
      const ids = devices.map(deviceArg);
      const host = await up(g, o, false);
      try {
        await Promise.all(
          ids.map((id) =>
            host.ping(id, g.timeout ?? DEFAULT_NET_TIMEOUT_MS).catch(() => undefined),
          ),
        );
        const peers = host.peers().map(pathJson);
        output(
          g,
          { base: formatEndpoint(host.base!), baseUdp: host.core.baseUdpAlive, peers },
          [
            `base ${formatEndpoint(host.base!)} (udp ${host.core.baseUdpAlive ? 'alive' : 'down'})`,
            ...peers.map(
              (p) =>
                `${p.deviceId} ${p.path}${p.latencyMs !== undefined ? ` ${p.latencyMs.toFixed(1)} ms` : ''}`,
            ),
          ].join('\n'),
        );
      } finally {
        await host.close();
      }
    });

  withNetOptions(net.command('ping'))
    .description('secure-layer heartbeat round trip to a peer')
    .argument('<device>', 'the peer (fc94 address)', deviceArg)
    .action(async (device: Uint8Array, o: NetOptions) => {
      const g = globals();
      const host = await up(g, o, false);
      try {
        const rtt = await host.ping(device, g.timeout ?? DEFAULT_NET_TIMEOUT_MS).catch(() => {
          throw new CliError(`no answer from ${formatDeviceId(device)}`, EXIT.offline);
        });
        const p = host.peer(device);
        output(
          g,
          { deviceId: formatDeviceId(device), rttMs: rtt, path: p.path },
          `${formatDeviceId(device)}: ${rtt.toFixed(1)} ms (${p.path})`,
        );
      } finally {
        await host.close();
      }
    });

  withNetOptions(net.command('send'))
    .description('send one datagram to a peer (waits until the secure layer has sent it)')
    .argument('<device>', 'the peer (fc94 address)', deviceArg)
    .argument('[payload]', 'text, @file, or - for stdin')
    .action(async (device: Uint8Array, payload: string | undefined, o: NetOptions) => {
      const g = globals();
      const data = payloadArg(payload);
      const host = await up(g, o, false);
      try {
        try {
          host.send(device, data);
        } catch (error) {
          if (error instanceof NatbaseError)
            throw new CliError(`${error.message} (${error.code})`, EXIT.usage);
          throw error;
        }
        const end = Date.now() + (g.timeout ?? DEFAULT_NET_TIMEOUT_MS);
        while (
          (host.secure?.peer(device)?.queued ?? 0) > 0 ||
          !host.secure?.peer(device)?.established
        ) {
          if (Date.now() > end)
            throw new CliError(`no secure session with ${formatDeviceId(device)}`, EXIT.offline);
          await new Promise((r) => setTimeout(r, 50));
        }
        output(
          g,
          { sent: data.length, deviceId: formatDeviceId(device), path: host.peer(device).path },
          `sent ${data.length} bytes (${host.peer(device).path})`,
        );
      } finally {
        await host.close();
      }
    });

  withNetOptions(net.command('listen'))
    .description('print datagrams received until interrupted (or --count of them)')
    .option('--count <n>', 'stop after this many datagrams', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a count from 1');
      return n;
    })
    .action(async (o: NetOptions & { count?: number }) => {
      const g = globals();
      const host = await up(g, o, false);
      output(
        g,
        { event: 'listening', deviceId: formatDeviceId(host.deviceId) },
        `listening as ${formatDeviceId(host.deviceId)}`,
      );
      let left = o.count ?? Number.POSITIVE_INFINITY;
      await new Promise<void>((resolve) => {
        host.on('datagram', (d) => {
          const p = printable(d.data);
          output(
            g,
            { from: formatDeviceId(d.from), path: d.path, ...p },
            `${formatDeviceId(d.from)}: ${p.text ?? p.hex}`,
          );
          if (--left <= 0) resolve();
        });
        void interrupted().then(resolve);
      });
      await host.close();
    });
}
