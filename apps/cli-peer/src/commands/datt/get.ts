// `peerwire datt get`: one subcommand of `datt` (registered by `../datt.ts`).
// `peerwire datt get`.
import { existsSync, writeFileSync } from 'node:fs';
import {
  DattRequestError,
  decodeContentAuth,
  generatePrivateKey,
  parseContentBody,
} from '@peerwire/datt';
import { toHex } from '@peerwire/wire';
import type { Command } from 'commander';
import { CliError, type GlobalOptions, output } from '../../context.js';

import {
  cliWallet,
  connectNode,
  describeContent,
  fileExists,
  hashArg,
  type NodeOptions,
  nodeUrl,
  readTransaction,
  requestFailure,
} from './shared.js';

/** Adds `datt get` to the `datt` command. */
export function registerDattGet(datt: Command, globals: () => GlobalOptions): void {
  datt
    .command('get')
    .description('get signed content by hash from a node, verify it and print it')
    .argument('<hash>', 'content hash (64 hex digits)')
    .option('--node <address>', 'the node to ask (host:port, tcp://…, ws://…)')
    .option('-o, --output <file>', 'write the content to a file instead of stdout')
    .option('--force', 'with -o: replace an existing file')
    .option(
      '--signed',
      'output the whole signed ContentAuth (re-verifiable) instead of the content',
    )
    .option('--pay <tx>', 'raw transaction (hex or @file) to pay the node if it asks')
    .action(
      async (
        arg: string,
        opts: NodeOptions & { output?: string; signed?: boolean; force?: boolean },
      ) => {
        const g = globals();
        const url = nodeUrl(opts.node);
        const hash = hashArg(arg);
        // Refuse before asking the node (and paying it): nothing is fetched to be thrown away.
        if (opts.output !== undefined && !opts.force && existsSync(opts.output)) {
          throw fileExists(opts.output);
        }
        const pay = opts.pay === undefined ? undefined : readTransaction(opts.pay);
        // Reading needs no identity: the node signs nothing, so a throwaway key does.
        const key = generatePrivateKey();
        const { wallet, state } = cliWallet(pay);
        const node = await connectNode(g, url, key, wallet);
        let signed: Uint8Array;
        try {
          signed = await node.get(hash);
        } catch (error) {
          if (error instanceof DattRequestError) {
            throw requestFailure(g, error, url, 'serve this content', state);
          }
          throw error;
        } finally {
          await node.close();
        }
        // The node engine verified the signature, the embedded key and the hash.
        const ca = decodeContentAuth(signed);
        const info = describeContent(hash, ca);
        let body: Uint8Array | string;
        if (opts.signed) body = signed;
        else {
          try {
            body = parseContentBody(ca.content).body;
          } catch {
            body = ca.content;
          }
        }
        const paid = state.paid
          ? { paid: { txid: toHex(state.paid), amount: `${state.asked!.amount}` } }
          : {};
        if (opts.output) {
          try {
            // `wx` keeps the refusal true even if the file appeared while the node answered.
            writeFileSync(opts.output, body, { flag: opts.force ? 'w' : 'wx' });
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw fileExists(opts.output);
            throw new CliError(`cannot write ${opts.output}: ${(error as Error).message}`);
          }
          output(g, { ...info, ...paid, written: opts.output }, `wrote ${opts.output}`);
          return;
        }
        if (g.json) {
          output(g, { ...info, ...paid, ...(opts.signed ? { signed: toHex(signed) } : {}) }, '');
          return;
        }
        if (typeof body === 'string')
          process.stdout.write(body.endsWith('\n') ? body : `${body}\n`);
        else if (opts.signed) process.stdout.write(`${toHex(body)}\n`);
        else process.stdout.write(body);
      },
    );
}
