// `peerwire datt serve`: one subcommand of `datt` (registered by `../datt.ts`).
import {
  addressFromPublicKey,
  addressFromString,
  addressToString,
  type DattEvent,
  MemoryContentStore,
  publicKeyOf,
} from '@peerwire/datt';
import { startDattNode } from '@peerwire/datt/node';
import type { Command } from 'commander';
import { CliError, EXIT, type GlobalOptions, output } from '../../context.js';
import { portArg, satoshisArg } from '../../options.js';
import { dattKey, defaultDataDir, eventLine, nodeUrl } from './shared.js';

/** Adds `datt serve` to the `datt` command. */
export function registerDattServe(datt: Command, globals: () => GlobalOptions): void {
  datt
    .command('serve')
    .description('run a Datt node (stores, serves and charges for content) until interrupted')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 = any free port)', portArg(0), 4000)
    .option('--ws-port <port>', 'also listen on WebSocket at this port', portArg(0))
    .option('--data-dir <dir>', `where content is kept (default ${defaultDataDir()})`)
    .option('--memory', 'keep content in memory only')
    .option('--get-price <satoshis>', 'satoshis asked per download', satoshisArg, 0)
    .option('--post-price <satoshis>', 'satoshis asked per stored post', satoshisArg, 0)
    .option('--pay-to <address>', 'Base58Check address paid (default: the Datt key)')
    .option('--peer <address...>', 'nodes to connect to (host:port, tcp://…, ws://…)')
    .action(
      async (opts: {
        host: string;
        port: number;
        wsPort?: number;
        dataDir?: string;
        memory?: boolean;
        getPrice: number;
        postPrice: number;
        payTo?: string;
        peer?: string[];
      }) => {
        const g = globals();
        const key = await dattKey(g);
        let payTo: Uint8Array;
        try {
          payTo = opts.payTo
            ? addressFromString(opts.payTo)
            : addressFromPublicKey(publicKeyOf(key));
        } catch (error) {
          throw new CliError(`--pay-to: ${(error as Error).message}`, EXIT.usage);
        }
        const peers = (opts.peer ?? []).map(nodeUrl);
        const dataDir = opts.dataDir ?? defaultDataDir();
        const print = (event: DattEvent) => {
          const line = eventLine(event);
          if (line) output(g, line.json, line.text);
        };
        const node = await startDattNode({
          ...(opts.memory ? { store: new MemoryContentStore() } : { dataDir }),
          host: opts.host,
          tcpPort: opts.port,
          ...(opts.wsPort === undefined ? {} : { wsPort: opts.wsPort }),
          keys: { privateKey: key },
          policy: {
            getPrice: BigInt(opts.getPrice),
            postPrice: BigInt(opts.postPrice),
            payTo,
          },
          onEvent: print,
        }).catch((error: unknown) => {
          const e = error as { code?: string; message?: string };
          if (e.code === 'LISTEN_FAILED') throw new CliError(`${e.message}; choose another --port`);
          if (e.code === 'LEVEL_DATABASE_NOT_OPEN' || e.code === 'LEVEL_LOCKED') {
            throw new CliError(`cannot open ${dataDir}: is another node using it?`);
          }
          throw error;
        });
        const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
        output(
          g,
          {
            event: 'listening',
            tcp: node.ports.tcp,
            ...(node.ports.ws === undefined ? {} : { ws: node.ports.ws }),
            payTo: addressToString(payTo),
            store: opts.memory ? '(memory)' : dataDir,
          },
          `datt node listening on tcp://${host}:${node.ports.tcp}${node.ports.ws === undefined ? '' : ` and ws://${host}:${node.ports.ws}/`} (payments to ${addressToString(payTo)}); Ctrl-C stops it`,
        );
        for (const peer of peers) {
          await node.connect(peer).catch((error: unknown) => {
            output(
              g,
              { event: 'peer-failed', peer, error: (error as Error).message },
              `could not connect to ${peer}: ${(error as Error).message}`,
            );
          });
        }
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await node.close();
        output(g, { event: 'stopped' }, 'datt node stopped');
      },
    );
}
