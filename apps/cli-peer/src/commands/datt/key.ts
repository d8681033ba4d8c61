// `peerwire datt key`: one subcommand of `datt` (registered by `../datt.ts`).
import { saveKeychain } from '@peerwire/crypto/node';
import {
  addressFromPublicKey,
  addressToString,
  generatePrivateKey,
  publicKeyOf,
} from '@peerwire/datt';
import { toHex } from '@peerwire/wire';
import type { Command } from 'commander';
import {
  CliError,
  EXIT,
  type GlobalOptions,
  openKeychain,
  output,
  passphrase,
} from '../../context.js';

/** Adds `datt key` to the `datt` command. */
export function registerDattKey(datt: Command, globals: () => GlobalOptions): void {
  datt
    .command('key')
    .description('show the Datt key of the keychain (public key and payout address)')
    .option('--new', 'create the Datt key (kept in the keychain file)')
    .option('--force', 'with --new: replace an existing Datt key (payments to it are lost)')
    .action(async (opts: { new?: boolean; force?: boolean }) => {
      const g = globals();
      const { keychain, path } = await openKeychain(g);
      if (opts.new) {
        const existing = keychain.secp256k1Keys();
        if (existing.length > 0 && !opts.force) {
          throw new CliError(
            `the keychain ${path} already holds a Datt key; --force replaces it (payments to its address are lost)`,
            EXIT.usage,
          );
        }
        for (const k of existing) keychain.deleteSecp256k1Key(k);
        keychain.addSecp256k1Key(generatePrivateKey());
        const pass = passphrase();
        await saveKeychain(path, keychain, pass === undefined ? {} : { passphrase: pass });
      }
      const key = keychain.secp256k1Keys()[0];
      if (!key) {
        throw new CliError(
          `the keychain ${path} holds no Datt key; create one with: peerwire datt key --new`,
          EXIT.usage,
        );
      }
      const publicKey = publicKeyOf(key);
      const address = addressToString(addressFromPublicKey(publicKey));
      output(
        g,
        { publicKey: toHex(publicKey), address, keychain: path, created: Boolean(opts.new) },
        `${opts.new ? 'created Datt key\n' : ''}public key: ${toHex(publicKey)}\naddress:    ${address}`,
      );
    });
}
