import type { CryptoBackend } from '@peerwire/crypto';
import type { PtpchatMessage } from './codec/message.js';
import type { Verb } from './codec/verbs.js';
import type { PtpchatLimits } from './limits.js';
import type { Link } from './neighbours.js';
import type { NodeId } from './node-id.js';
import type { DropReason, PtpchatCounters, PtpchatEvent, PtpchatIdentity } from './types.js';

/** How a message this node originates travels (spec §3.2). */
export interface Route {
  /** Flooded to every neighbour. */
  readonly flood?: boolean;
  /** Targeted at this node (via the best next hop). */
  readonly target?: NodeId;
}

/** What the chat rules (channels, certificates, messages, keys) need from the engine core. */
export interface ChatHost {
  readonly selfId: NodeId;
  readonly selfGuid: string;
  readonly identity: PtpchatIdentity;
  readonly limits: PtpchatLimits;
  readonly counters: PtpchatCounters;
  readonly backend: CryptoBackend | undefined;
  readonly random: (length: number) => Uint8Array;
  /** The latest `now` seen (ms). */
  readonly now: number;
  /** Sends a message this node originates; returns its `msg_id`. */
  originate(verb: Verb, data: unknown, route: Route): string;
  emit(event: PtpchatEvent): void;
  drop(reason: DropReason, detail: string, link?: Link): void;
  /** Runs async work (crypto) tracked by `idle()`; failures become drops, never exceptions. */
  spawn(work: () => Promise<void>): void;
}

/** A received message handed to the chat rules for local delivery, with the link it came on. */
export interface Delivery<M extends PtpchatMessage = PtpchatMessage> {
  readonly message: M;
  readonly sender: NodeId;
  readonly senderGuid: string;
}
