import type { IncomingRequest } from '@peerwire/client';
import { messageIdToUuid } from '@peerwire/wire';
import type { Command } from 'commander';
import { type ResultOptions, showResult } from '../answers.js';
import {
  CliError,
  connect,
  EXIT,
  type GlobalOptions,
  output,
  payloadArg,
  printable,
} from '../context.js';
import { countArg } from '../options.js';

/**
 * Only `k.` targets are end-to-end encrypted; to `g.` (a group) and `c.` (a connection) a message
 * is signed but travels readable by the relay and whoever receives it. Said on stderr.
 */
export function warnUnencrypted(address: string): void {
  const kind = address.startsWith('g.')
    ? 'a group'
    : address.startsWith('c.')
      ? 'a connection'
      : '';
  if (!kind) return;
  process.stderr.write(
    `Note: to ${kind} (${address.split('/')[0]}) messages are signed but not encrypted: the relay and the recipients can read them.\n`,
  );
}

export function registerSpot(program: Command, globals: () => GlobalOptions): void {
  const spot = program.command('spot').description('Spot messaging through a relay');

  spot
    .command('listen')
    .description('stay online, print what arrives, answer ping, version, finger and echo')
    .action(async () => {
      const g = globals();
      const client = await connect(g);
      client.on('offline', () =>
        output(g, { event: 'offline' }, 'relay connection lost; reconnecting…'),
      );
      client.on('online', () => output(g, { event: 'online' }, 'back online'));
      const print = (req: IncomingRequest) => {
        const p = printable(req.payload);
        output(
          g,
          {
            event: 'message',
            endpoint: req.endpoint,
            from: req.from,
            id: messageIdToUuid(req.messageId),
            encrypted: req.encrypted,
            ...p,
          },
          `${req.from} → ${req.endpoint}${req.encrypted ? ' (encrypted)' : ''}: ${p.text ?? `0x${p.hex}`}`,
        );
      };
      client.handle('echo', (req) => {
        print(req);
        return req.payload;
      });
      // The built-in answers stay as the client gives them; listen prints the request too.
      client.handle('ping', (req) => {
        print(req);
        return req.payload.subarray(0, 128);
      });
      client.handle('version', (req) => {
        print(req);
        return 'peerwire-cli';
      });
      client.handle('finger', async (req) => {
        print(req);
        return client.signedCard();
      });
      // everything else that arrives is printed; ping, version and finger keep their built-in answers
      client.handle('*', (req) => {
        print(req);
        return undefined;
      });
      output(
        g,
        { event: 'listening', address: client.address },
        `listening as ${client.address} (Ctrl-C to stop)`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await client.stop();
    });

  spot
    .command('send <address> <payload>')
    .description(
      'send a message (text, or @file); to k. addresses it is end-to-end encrypted, to g. and c. addresses only signed',
    )
    .action(async (address: string, payload: string) => {
      const g = globals();
      const client = await connect(g);
      try {
        const to = address.includes('/') ? address : `${address}/message`;
        warnUnencrypted(to);
        // Waits one round trip, so that "no route" (the recipient is not online) is reported.
        await client.sendChecked(to, payloadArg(payload));
        output(g, { sent: true, to }, `sent to ${to} (the relay took it)`);
      } finally {
        await client.stop();
      }
    });

  spot
    .command('query <address> [payload]')
    .description(
      'send a request and print the response (e.g. k.<hash>/echo hello, @/version; @/time and finger are decoded; binary answers are written raw when piped or with -o)',
    )
    .option('-o, --output <file>', 'write the raw answer to a file')
    .option('--force', 'with -o: replace an existing file')
    .action(async (address: string, payload: string | undefined, opts: ResultOptions) => {
      const g = globals();
      if (!address.includes('/'))
        throw new CliError(`${address} names no endpoint (e.g. ${address}/echo)`, EXIT.usage);
      warnUnencrypted(address);
      const client = await connect(g);
      try {
        const response = await client.query(
          address,
          payloadArg(payload),
          g.timeout ? { timeoutMs: g.timeout } : {},
        );
        await showResult(g, opts, address, response, { to: address });
      } finally {
        await client.stop();
      }
    });

  spot
    .command('ping <address>')
    .description('round trip to a peer (its ping endpoint)')
    .option('-n, --count <n>', 'number of pings', countArg, 1)
    .action(async (address: string, opts: { count: number }) => {
      const g = globals();
      const client = await connect(g);
      try {
        for (let i = 0; i < opts.count; i++) {
          const ms = await client.ping(address, g.timeout ? { timeoutMs: g.timeout } : {});
          output(
            g,
            { to: address, ms },
            `reply from ${address.split('/')[0]}: ${ms.toFixed(1)} ms`,
          );
        }
      } finally {
        await client.stop();
      }
    });

  const blob = spot
    .command('blob')
    .description('small encrypted values stored on the relay for your identity');
  blob
    .command('put <key> <value>')
    .description('store a value (text or @file), sealed to yourself')
    .action(async (key: string, value: string) => {
      const g = globals();
      const client = await connect(g);
      try {
        await client.storeBlob(key, payloadArg(value));
        output(g, { stored: key }, `stored ${key}`);
      } finally {
        await client.stop();
      }
    });
  blob
    .command('get <key>')
    .description(
      'fetch and open a stored value (binary values are written raw when piped or with -o)',
    )
    .option('-o, --output <file>', 'write the raw value to a file')
    .option('--force', 'with -o: replace an existing file')
    .action(async (key: string, opts: ResultOptions) => {
      const g = globals();
      const client = await connect(g);
      try {
        const value = await client.fetchBlob(key);
        await showResult(g, opts, '', value, { key });
      } finally {
        await client.stop();
      }
    });
  blob
    .command('rm <key>')
    .description('delete a stored value')
    .action(async (key: string) => {
      const g = globals();
      const client = await connect(g);
      try {
        await client.deleteBlob(key);
        output(g, { deleted: key }, `deleted ${key}`);
      } finally {
        await client.stop();
      }
    });
}
