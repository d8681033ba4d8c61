import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { generatePrivateKey, IDCard, Keychain } from '@peerwire/crypto';
import { saveKeychain } from '@peerwire/crypto/node';
import { toHex } from '@peerwire/wire';
import type { Command } from 'commander';
import {
  CliError,
  EXIT,
  type GlobalOptions,
  keychainPath,
  loadCard,
  openKeychain,
  output,
  passphrase,
  saveCard,
} from '../context.js';

const TYPES = { p256: 'P-256', ed25519: 'Ed25519' } as const;

export function registerId(program: Command, globals: () => GlobalOptions): void {
  const id = program
    .command('id')
    .description('create and show your identity (keychain + signed ID card)');

  id.command('new')
    .description(
      'create a keychain with a new identity key (encrypted at rest when PEERWIRE_PASSPHRASE is set)',
    )
    .option(
      '--type <type>',
      'identity key type: p256 (default; works with Go clients) or ed25519',
      'p256',
    )
    .option('--name <name>', 'a name to publish in the ID card')
    .option('--force', 'replace an existing keychain (its identity is lost)')
    .action(async (opts: { type: string; name?: string; force?: boolean }) => {
      const g = globals();
      const path = keychainPath(g);
      const type = TYPES[opts.type as keyof typeof TYPES];
      if (!type)
        throw new CliError(`unknown key type ${opts.type}; use p256 or ed25519`, EXIT.usage);
      if (existsSync(path) && !opts.force) {
        throw new CliError(
          `a keychain already exists at ${path}; use --force to replace it (its identity is lost)`,
          EXIT.usage,
        );
      }
      const self = await generatePrivateKey(type);
      const keychain = new Keychain().add(self);
      if (type === 'Ed25519') {
        // Go clients and relays expect an ECDSA handshake key and an X25519-capable decrypt key;
        // a P-256 subkey serves both.
        keychain.add(await generatePrivateKey('P-256'));
      }
      const meta = opts.name ? new Map([['name', opts.name]]) : undefined;
      const card = IDCard.create(self.publicKey, meta ? { meta } : {}).addKeychain(keychain);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const pass = passphrase();
      await saveKeychain(path, keychain, pass === undefined ? {} : { passphrase: pass });
      saveCard(path, await card.sign(self));
      output(
        g,
        { address: card.address, keychain: path, type, encrypted: pass !== undefined },
        `created ${type} identity ${card.address}\nkeychain: ${path}${pass === undefined ? ' (not encrypted; set PEERWIRE_PASSPHRASE to encrypt)' : ' (encrypted)'}`,
      );
    });

  id.command('show')
    .description('print your address, keys and ID card')
    .action(async () => {
      const g = globals();
      const { keychain, path } = await openKeychain(g);
      const card = await loadCard(keychain, path);
      const keys = card.subKeys.map((k) => ({
        pkix: toHex(k.key),
        purposes: k.purposes,
        issued: k.issued,
        ...(k.expires === undefined ? {} : { expires: k.expires }),
      }));
      output(
        g,
        {
          address: card.address,
          keychain: path,
          issued: card.issued,
          keys,
          meta: Object.fromEntries(card.meta ?? []),
        },
        [
          `address:  ${card.address}`,
          `keychain: ${path}`,
          `issued:   ${new Date(card.issued * 1000).toISOString()}`,
          ...keys.map(
            (k) => `key:      ${k.purposes.join(',').padEnd(22)} ${k.pkix.slice(0, 48)}…`,
          ),
          ...[...(card.meta ?? [])].map(([k, v]) => `${`${k}:`.padEnd(10)}${v}`),
        ].join('\n'),
      );
    });
}
