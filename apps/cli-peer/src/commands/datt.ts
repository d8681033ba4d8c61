/**
 * `peerwire datt …`: post and get signed content on a Datt node, run one, and manage the Datt
 * key. The key is a secp256k1 secret key kept in the keychain file beside the Spot keys
 * (`Keychain.addSecp256k1Key`: saved and encrypted with them, never used for Spot).
 */
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { registerDattGet } from './datt/get.js';
import { registerDattKey } from './datt/key.js';
import { registerDattPost } from './datt/post.js';
import { registerDattServe } from './datt/serve.js';
import { DEFAULT_DATT_NODE, EXIT_PAYMENT_REQUIRED } from './datt/shared.js';

export { DEFAULT_DATT_NODE, EXIT_PAYMENT_REQUIRED, looksLikePath } from './datt/shared.js';

const HELP = `
The Datt key is a secp256k1 key kept in the keychain file (encrypted with it when
PEERWIRE_PASSPHRASE is set); create it once with: peerwire datt key --new

--node takes host:port (TCP), tcp://host:port or ws(s)://host:port/path
(env PEERWIRE_DATT_NODE; default ${DEFAULT_DATT_NODE}, the relay's default Datt port).

Payments: a node may ask for satoshis before it stores or serves content. Pass a raw
Bitcoin transaction (hex, or @file with the raw bytes or hex) with --pay; it is checked
to pay the asked amount to the asked address before it is sent. Without --pay the
request stops with exit code ${EXIT_PAYMENT_REQUIRED} and says what the node asks.

Exit codes (besides peerwire --help's): ${EXIT_PAYMENT_REQUIRED} payment required.`;

/** Adds `datt` and its subcommands (one file each under `datt/`). */
export function registerDatt(program: Command, globals: () => GlobalOptions): void {
  const datt = program
    .command('datt')
    .description('Datt: post and get signed content on a Datt node, or run one')
    .addHelpText('after', HELP);
  registerDattKey(datt, globals);
  registerDattPost(datt, globals);
  registerDattGet(datt, globals);
  registerDattServe(datt, globals);
}
