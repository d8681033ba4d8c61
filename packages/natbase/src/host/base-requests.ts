import type { Endpoint } from '../codec/address.js';
import type { Identity } from '../codec/identity.js';
import { encodePeerToBase, sealPeerToBase } from '../codec/peer-to-base.js';
import type { HostAgentLimits } from '../limits.js';
import type { BaseLink } from './base-link.js';
import { maxInfoEntries } from './local-addresses.js';
import type { NatHandshake } from './nat-handshake.js';
import type { Peer } from './peers.js';
import type { HostAgentAction, HostDropReason } from './types.js';

/**
 * What the host sends to the base in use (spec §5, §8.2): relayed DATA over UDP to the primary
 * address while NAT is confirmed, else over TCP; REQUEST_INFO for a peer; INFO with the local
 * addresses plus a NAT_INIT at each refresh. Signed messages wait for the base's cookie.
 */
export class BaseRequests {
  constructor(
    readonly identity: Identity,
    readonly limits: HostAgentLimits,
    readonly link: BaseLink,
    readonly nat: NatHandshake,
    readonly counts: { sentBaseUdp: number; sentBaseTcp: number },
    readonly drop: (reason: HostDropReason, detail: string) => void,
  ) {}

  /** §8.2 steps 2 and 3: P2B DATA over base UDP if NAT is confirmed, else over TCP. */
  relay(peer: Peer, data: Uint8Array, now: number, actions: HostAgentAction[]): void {
    const bytes = encodePeerToBase({
      kind: 'DATA',
      source: this.identity.deviceId,
      target: peer.id,
      data,
    });
    const primary = this.nat.primary;
    if (this.nat.alive(now) && primary) {
      this.counts.sentBaseUdp++;
      actions.push({ type: 'send', transport: 'udp', to: primary, bytes });
    } else if (this.link.send(bytes, actions)) {
      this.counts.sentBaseTcp++;
    } else {
      this.drop('no-path', 'no direct path and no base connection');
    }
  }

  /** REQUEST_INFO for `peer`; without a base it is resent for every active peer on the next HELLO. */
  requestInfo(peer: Peer, actions: HostAgentAction[]): void {
    const active = this.link.active;
    if (!active) return;
    const bytes = sealPeerToBase(
      { kind: 'REQUEST_INFO', target: peer.id },
      this.identity,
      active.cookie,
    );
    this.link.send(bytes, actions);
  }

  /** The base part of a refresh: INFO (as many addresses as fit one record) and NAT_INIT. */
  refresh(local: readonly Endpoint[], now: number, actions: HostAgentAction[]): void {
    const active = this.link.active;
    if (!active) return;
    const info = sealPeerToBase(
      { kind: 'INFO', addresses: local.slice(0, maxInfoEntries(this.limits.maxTcpPayload)) },
      this.identity,
      active.cookie,
    );
    this.link.send(info, actions);
    this.nat.init(active.cookie, now, actions);
  }
}
