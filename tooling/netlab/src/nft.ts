// The nftables rulesets the lab loads (one table per namespace, all named `netlab`).
import type { NatKind } from './spec.js';

/** The router's interface toward the public segment, and its private-side bridge. */
export const ROUTER_WAN_IF = 'wan0';
export const ROUTER_LAN_IF = 'lan0';

/**
 * A NAT router: masquerade toward the public side (port-preserving for `eim`, `fully-random` for
 * `symmetric`); nothing unsolicited from the public side reaches the private side; and unsolicited
 * packets to the router itself are dropped before conntrack confirms them, so a hole-punching
 * packet that arrives before the host's own packet leaves cannot occupy the tuple the host's
 * mapping needs (Linux would otherwise pick another port, and the punch would fail even with EIM).
 * `blocks` is where `lab.block()` puts its rules; it is consulted before everything else.
 */
export function routerRuleset(kind: NatKind): string {
  const masquerade = kind === 'symmetric' ? 'masquerade fully-random' : 'masquerade';
  return `table ip netlab {
  chain blocks {
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    jump blocks
    ct state established,related accept
    iifname "${ROUTER_WAN_IF}" drop
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "${ROUTER_WAN_IF}" ct state new drop
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${ROUTER_WAN_IF}" ${masquerade}
  }
}
`;
}

/** The public segment's bridge filter, where blocks for public nodes go. */
export function wanRuleset(): string {
  return `table bridge netlab {
  chain forward {
    type filter hook forward priority filter; policy accept;
  }
}
`;
}

export type BlockProtocol = 'udp' | 'tcp' | 'all';

/** The match-and-drop part of a block rule. */
export function blockRule(
  mac: string,
  to: string | undefined,
  protocol: BlockProtocol,
  port?: number,
): string {
  const parts = [`ether saddr ${mac}`];
  if (to !== undefined) parts.push(`ip daddr ${to}`);
  if (protocol === 'all') {
    if (to === undefined) parts.push('ip version 4');
  } else if (port !== undefined) parts.push(`${protocol} dport ${port}`);
  else parts.push(`meta l4proto ${protocol}`);
  parts.push('counter drop');
  return parts.join(' ');
}
