import { identityHash } from '@peerwire/address';
import { type CryptoBackend, type IDCard, Membership } from '@peerwire/crypto';
import { getOrCreate } from './maps.js';
import type { StoredMembership } from './store.js';

/**
 * Who belongs to which group, from two sources: the valid memberships declared in the cards of
 * online identities, and the registry of memberships sent to `@/group_update` (kept in the
 * store and loaded at start). Keys are identity hashes (group key hash, member hash).
 */
export class GroupRegistry {
  /** group hash → identity hashes with a valid membership declared in their online card */
  readonly #cardGroups = new Map<string, Set<string>>();
  /** group hash → subject hash → registry membership */
  readonly #registry = new Map<string, Map<string, StoredMembership>>();

  /** Adds (or replaces) a registry membership. */
  put(m: StoredMembership): void {
    getOrCreate(this.#registry, m.group, () => new Map<string, StoredMembership>()).set(
      m.subject,
      m,
    );
  }

  /** The registry membership of `subject` in `group`, if any. */
  get(group: string, subject: string): StoredMembership | undefined {
    return this.#registry.get(group)?.get(subject);
  }

  /** Number of registry memberships of `group`. */
  registered(group: string): number {
    return this.#registry.get(group)?.size ?? 0;
  }

  /** Records the card-declared groups of an identity that came online. */
  addCardMember(hash: string, groups: readonly string[]): void {
    for (const g of groups) getOrCreate(this.#cardGroups, g, () => new Set<string>()).add(hash);
  }

  /** Forgets the card-declared groups of an identity that has no connection left. */
  removeCardMember(hash: string, groups: readonly string[]): void {
    for (const g of groups) {
      const members = this.#cardGroups.get(g);
      members?.delete(hash);
      if (members?.size === 0) this.#cardGroups.delete(g);
    }
  }

  /** Identity hashes of the members of a group (card-declared or valid in the registry). */
  members(group: string): string[] {
    const out = new Set<string>();
    for (const h of this.#cardGroups.get(group) ?? []) out.add(h);
    for (const [subject, m] of this.#registry.get(group) ?? []) {
      if (m.status === 'valid') out.add(subject);
    }
    return [...out];
  }

  /** Registry memberships (valid) of identity `hash` that its `card` lacks, or null. */
  missingFrom(card: IDCard, hash: string): Uint8Array[] | null {
    const have = new Set((card.groups ?? []).map((m) => `${identityHash(m.key)}@${m.issued}`));
    const missing: Uint8Array[] = [];
    for (const [group, members] of this.#registry) {
      const m = members.get(hash);
      if (m && m.status === 'valid' && !have.has(`${group}@${m.issued}`)) missing.push(m.bytes);
    }
    return missing.length > 0 ? missing : null;
  }
}

/**
 * Group hashes of the valid memberships in a presented card, each checked against its group
 * key; only the first `max` memberships of the card are looked at.
 */
export async function verifiedCardGroups(
  card: IDCard,
  max: number,
  options: { readonly backend?: CryptoBackend },
): Promise<string[]> {
  const out: string[] = [];
  for (const m of (card.groups ?? []).slice(0, max)) {
    if (m.status !== 'valid') continue;
    try {
      const copy = Membership.decode(m.encode());
      copy.subject = card.self;
      if (await copy.verify(options)) out.push(identityHash(copy.key));
    } catch {
      // an unverifiable membership is simply not honoured
    }
  }
  return out;
}
