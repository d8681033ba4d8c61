import { identityHash } from '@peerwire/address';
import { Membership } from '@peerwire/crypto';
import { bytesEqual, fromBase64Url } from '@peerwire/wire';
import type { Connection } from '../connection.js';
import type { RelayContext } from '../context.js';
import type { GroupRegistry } from '../group-registry.js';
import type { Router } from '../router.js';
import type { StoredMembership } from '../store.js';
import { awaitWork, type Endpoint, type EndpointOutcome, endpointFailed } from './endpoint.js';

/**
 * `@/group_list` (the group key's PKIX → 32-byte member hashes) and `@/group_update` (a
 * membership signed by its group key, kept in the registry and the store, at most
 * `maxMembersPerGroup` per group). After an update, the member's online connections are asked
 * to present the membership (`onMembershipChanged`).
 */
export class GroupEndpoints {
  constructor(
    readonly ctx: RelayContext,
    readonly registry: GroupRegistry,
    readonly router: Router,
    readonly onMembershipChanged: (conn: Connection) => void,
  ) {
    // A shared store tells of memberships registered through other relays.
    ctx.store.watchMemberships?.((m) => {
      const existing = this.registry.get(m.group, m.subject);
      if (existing && existing.issued > m.issued) return;
      this.registry.put(m);
      for (const conn of this.router.connectionsOf(m.subject) ?? []) this.onMembershipChanged(conn);
    });
  }

  get endpoints(): Endpoint[] {
    return [
      { name: 'group_list', serve: (_conn, payload) => this.#list(payload) },
      { name: 'group_update', serve: (_conn, payload) => this.#update(payload) },
    ];
  }

  #list(payload: Uint8Array): Uint8Array {
    if (payload.length === 0) throw endpointFailed('group_list takes the group key (PKIX)');
    const members = this.router.groupMembers(identityHash(payload), false);
    const out = new Uint8Array(members.length * 32);
    for (let i = 0; i < members.length; i++) out.set(fromBase64Url(members[i]!), i * 32);
    return out;
  }

  #update(payload: Uint8Array): EndpointOutcome {
    let m: Membership;
    try {
      m = Membership.decode(payload);
    } catch (error) {
      throw endpointFailed(`invalid membership: ${(error as Error).message}`);
    }
    const subject = m.subject;
    if (subject === null) throw endpointFailed('membership has no subject');
    if (!bytesEqual(m.signKey, m.key))
      throw endpointFailed('membership must be signed by the group key');
    const stored: StoredMembership = {
      bytes: payload.slice(),
      group: identityHash(m.key),
      subject: identityHash(subject),
      issued: m.issued,
      status: m.status,
    };
    return awaitWork({ type: 'verify', check: { kind: 'membership', membership: m } }, (valid) => {
      if (!valid) throw endpointFailed('membership signature does not verify');
      const existing = this.registry.get(stored.group, stored.subject);
      if (existing && existing.issued > stored.issued)
        throw endpointFailed('a newer membership is already registered');
      const max = this.ctx.limits.maxMembersPerGroup;
      if (!existing && this.registry.registered(stored.group) >= max) {
        throw endpointFailed(`group is full (${max} members)`);
      }
      return awaitWork(
        { type: 'store', op: { kind: 'put_membership', membership: stored } },
        () => {
          this.registry.put(stored);
          for (const conn of this.router.connectionsOf(stored.subject) ?? []) {
            this.onMembershipChanged(conn);
          }
          return new Uint8Array(0);
        },
      );
    });
  }
}
