// `peerwire datt post`: one subcommand of `datt` (registered by `../datt.ts`).
import { DattRequestError } from '@peerwire/datt';
import { toHex } from '@peerwire/wire';
import type { Command } from 'commander';
import { type GlobalOptions, output } from '../../context.js';

import {
  cliWallet,
  connectNode,
  contentOf,
  dattKey,
  type NodeOptions,
  nodeUrl,
  readTransaction,
  requestFailure,
} from './shared.js';

/** Adds `datt post` to the `datt` command. */
export function registerDattPost(datt: Command, globals: () => GlobalOptions): void {
  datt
    .command('post')
    .description('sign content with the Datt key and post it to a node; prints its hash')
    .argument(
      '[file|text]',
      'a file to post; words that do not look like a file name are posted as text',
    )
    .option('--node <address>', 'the node to post to (host:port, tcp://…, ws://…)')
    .option('--title <title>', 'title (default: the file name or the first line)')
    .option('--label <label>', 'label (channel)', 'general')
    .option('--name <name>', 'author name shown with the content', '')
    .option('--text <text>', 'post this text (even if it looks like, or is, a file name)')
    .option('--raw', 'post the bytes as they are, not as a markdown content body')
    .option('--pay <tx>', 'raw transaction (hex or @file) to pay the node if it asks')
    .action(
      async (
        arg: string | undefined,
        opts: NodeOptions & {
          title?: string;
          label: string;
          name: string;
          text?: string;
          raw?: boolean;
        },
      ) => {
        const g = globals();
        const url = nodeUrl(opts.node);
        const { content } = contentOf(arg, opts);
        const pay = opts.pay === undefined ? undefined : readTransaction(opts.pay);
        const key = await dattKey(g);
        const { wallet, state } = cliWallet(pay);
        const node = await connectNode(g, url, key, wallet);
        try {
          const result = await node.post(content);
          const peer = result.peers[0];
          if (!peer?.ok) {
            const error = peer?.error ?? new DattRequestError('CLOSED', 'no answer');
            throw requestFailure(g, error, url, 'store this content', state);
          }
          const hash = toHex(result.hash);
          const paid = peer.txid
            ? { txid: toHex(peer.txid), amount: `${state.asked?.amount ?? 0n}` }
            : undefined;
          output(
            g,
            { hash, node: url, bytes: result.contentAuth.length, ...(paid ? { paid } : {}) },
            paid ? `${hash}\n(paid ${paid.amount} satoshis, txid ${paid.txid})` : hash,
          );
        } finally {
          await node.close();
        }
      },
    );
}
