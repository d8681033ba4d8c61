import { existsSync } from 'node:fs';
import { identityHash } from '@peerwire/address';
import { generatePrivateKey, Keychain, Membership, type PrivateKey } from '@peerwire/crypto';
import { loadKeychain, saveKeychain } from '@peerwire/crypto/node';
import type { Command } from 'commander';
import {
  CliError,
  connect,
  EXIT,
  type GlobalOptions,
  keychainPath,
  output,
  passphrase,
} from '../context.js';

/** Group keys live in their own keychain beside the identity's, so they never join its ID card. */
function groupsPath(g: GlobalOptions): string {
  return `${keychainPath(g)}.groups`;
}

async function loadGroups(g: GlobalOptions): Promise<Keychain> {
  const path = groupsPath(g);
  if (!existsSync(path)) return new Keychain();
  const pass = passphrase();
  return loadKeychain(path, pass === undefined ? {} : { passphrase: pass });
}

function findGroup(groups: Keychain, name: string): PrivateKey {
  const hash = name.startsWith('g.') ? name.slice(2) : name;
  const key = groups.keys().find((k) => identityHash(k.publicKey.pkix) === hash);
  if (!key)
    throw new CliError(
      `no group g.${hash} in ${'your groups keychain'}; create one with: peerwire group create`,
      EXIT.usage,
    );
  return key;
}

export function registerGroup(program: Command, globals: () => GlobalOptions): void {
  const group = program
    .command('group')
    .description('groups: a group key signs memberships; g.<hash> reaches a member');

  group
    .command('create')
    .description('create a group key (kept in <keychain>.groups) and print the group address')
    .action(async () => {
      const g = globals();
      const groups = await loadGroups(g);
      const key = await generatePrivateKey('P-256');
      groups.add(key);
      const pass = passphrase();
      await saveKeychain(groupsPath(g), groups, pass === undefined ? {} : { passphrase: pass });
      const address = `g.${identityHash(key.publicKey.pkix)}`;
      output(g, { group: address }, `created group ${address}`);
    });

  group
    .command('add <group> <member>')
    .description(
      'sign a membership of <member> (k.<hash>) in <group> (g.<hash>) and register it on the relay',
    )
    .option('--role <role>', 'a role to record in the membership')
    .action(async (groupName: string, member: string, opts: { role?: string }) => {
      const g = globals();
      const key = findGroup(await loadGroups(g), groupName);
      const client = await connect(g);
      try {
        const card = await client.getIdCard(member);
        const info = opts.role ? new Map([['role', opts.role]]) : new Map<string, string>();
        const membership = Membership.create(card.self, key.publicKey, { info });
        await membership.sign(key);
        await client.groupUpdate(membership);
        output(
          g,
          { group: groupName, member: card.address },
          `added ${card.address} to ${groupName}`,
        );
      } finally {
        await client.stop();
      }
    });

  group
    .command('list <group>')
    .description('list the members the relay knows for a group you hold')
    .action(async (groupName: string) => {
      const g = globals();
      const key = findGroup(await loadGroups(g), groupName);
      const client = await connect(g);
      try {
        const members = await client.groupList(key.publicKey.pkix);
        output(
          g,
          { group: groupName, members },
          members.length ? members.join('\n') : '(no members)',
        );
      } finally {
        await client.stop();
      }
    });
}
