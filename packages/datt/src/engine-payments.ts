// Payments inside the Datt engine: the requests this node sends (`reqpayment` before serving or
// storing priced content), the payments it checks (`sendpayment`, each transaction accepted
// once), and the payments it makes for its own requests (`pay`, `paymentack`).
import { BoundedMap, toHex } from '@peerwire/wire';
import {
  type ClientPending,
  type EngineHost,
  type Peer,
  paymentKey,
  requestKey,
  type ServerPending,
} from './engine-peer.js';
import { awaitStore, type Step } from './engine-work.js';
import { DattError } from './errors.js';
import type { DattMessage } from './messages.js';
import { verifyPayment } from './payment.js';

export class Payments {
  readonly #host: EngineHost;
  /** Transaction ids already accepted, oldest forgotten first past `maxSeenTxids`. */
  readonly #seenTxids: BoundedMap<string, true>;

  constructor(host: EngineHost) {
    this.#host = host;
    this.#seenTxids = new BoundedMap({ maxEntries: host.limits.maxSeenTxids, order: 'insertion' });
  }

  /** Asks `peer` to pay `amount` before this node serves (`get`) or stores (`post`) `hash`. */
  request(
    peer: Peer,
    purpose: 'get' | 'post',
    hash: Uint8Array,
    amount: bigint,
    contentAuth?: Uint8Array,
  ): void {
    const h = this.#host;
    const key = toHex(hash);
    if (!peer.server.has(key) && peer.server.size >= h.limits.maxPendingPaymentsPerPeer) {
      h.ignore(peer, purpose === 'get' ? 'getdata' : 'postdata', 'too many open payment requests');
      return;
    }
    const old = peer.server.get(key);
    if (old) h.dropServerPending(peer, key, old);
    if (contentAuth) {
      if (peer.pendingPostBytes + contentAuth.length > h.limits.maxPendingPostBytesPerPeer) {
        h.ignore(peer, 'postdata', 'too many posted bytes waiting for payment');
        return;
      }
      peer.pendingPostBytes += contentAuth.length;
    }
    const address = h.policy.payTo!;
    const pending: ServerPending = {
      purpose,
      ref: hash.slice(),
      amount,
      address,
      expiresAt: h.now() + h.limits.paymentTimeoutMs,
      ...(contentAuth ? { contentAuth: contentAuth.slice() } : {}),
    };
    peer.server.set(key, pending);
    h.deadlines.set(paymentKey(peer, key), pending.expiresAt, { kind: 'payment', peer, key });
    h.stats.paymentsRequested++;
    h.send(peer, { type: 'reqpayment', ref: hash, amount, address });
  }

  /** The peer asks us to pay for one of our requests: the application decides (`pay` / decline). */
  onRequest(peer: Peer, msg: Extract<DattMessage, { type: 'reqpayment' }>): void {
    const h = this.#host;
    const key = toHex(msg.ref);
    const pending = peer.client.get(key);
    if (pending?.state !== 'waiting') {
      h.ignore(peer, 'reqpayment', 'no open request of ours for this ref');
      return;
    }
    pending.state = 'paying';
    this.#extend(peer, key, pending);
    h.emit({
      type: 'payment-requested',
      peer: peer.id,
      purpose: pending.purpose,
      request: { ref: msg.ref.slice(), amount: msg.amount, address: msg.address.slice() },
    });
  }

  /** Sends the application's transaction for our request `ref`, then a barrier ping. */
  pay(peer: Peer, ref: Uint8Array, transaction: Uint8Array): void {
    const h = this.#host;
    const key = toHex(ref);
    const pending = peer.client.get(key);
    h.send(peer, { type: 'sendpayment', ref, transaction });
    if (pending) {
      pending.state = 'paid';
      pending.barrier = h.sendPing(peer);
      this.#extend(peer, key, pending);
    }
  }

  /** A payment for one of our requests: checked, accepted once, then the content is served or stored. */
  onPayment(peer: Peer, ref: Uint8Array, transaction: Uint8Array): Step {
    const h = this.#host;
    const key = toHex(ref);
    const pending = peer.server.get(key);
    if (!pending) {
      h.ignore(peer, 'sendpayment', 'no open payment request for this ref');
      return undefined;
    }
    const reject = (code: string, message: string) => {
      h.stats.paymentsRejected++;
      h.emit({ type: 'payment-rejected', peer: peer.id, ref: pending.ref, code, message });
    };
    let verified: ReturnType<typeof verifyPayment>;
    try {
      verified = verifyPayment(transaction, pending, { maxLength: h.limits.maxDataLength });
    } catch (error) {
      if (!(error instanceof DattError)) throw error;
      reject(error.code, error.message);
      return undefined;
    }
    const txKey = toHex(verified.txid);
    if (this.#seenTxids.has(txKey)) {
      reject('PAYMENT_REUSED', 'this transaction already paid for an earlier request');
      return undefined;
    }
    this.#seenTxids.set(txKey, true);
    h.dropServerPending(peer, key, pending);
    h.stats.paymentsAccepted++;
    h.emit({
      type: 'payment-accepted',
      peer: peer.id,
      ref: pending.ref,
      txid: verified.txid,
      value: verified.value,
    });
    const ack = (): Step => {
      h.send(peer, { type: 'paymentack', ref: pending.ref, txid: verified.txid });
      return undefined;
    };
    if (pending.purpose === 'post')
      return h.storeContent(pending.ref, pending.contentAuth!, peer, ack);
    ack();
    return awaitStore({ kind: 'get', hash: pending.ref }, (bytes) => {
      if (bytes) h.serve(peer, pending.ref, bytes);
      return undefined;
    });
  }

  /** The peer acknowledged our payment: a post is done; a get waits for its content. */
  onAck(peer: Peer, ref: Uint8Array, txid: Uint8Array): void {
    const h = this.#host;
    const key = toHex(ref);
    const pending = peer.client.get(key);
    if (pending?.state !== 'paid') {
      h.ignore(peer, 'paymentack', 'no payment of ours for this ref');
      return;
    }
    pending.txid = txid.slice();
    if (pending.purpose === 'post') {
      peer.client.delete(key);
      h.deadlines.delete(requestKey(peer, key));
      h.emit({ type: 'post-result', peer: peer.id, hash: pending.hash, txid: pending.txid });
      return;
    }
    // A get: the content follows; the paid barrier no longer means rejection.
    pending.state = 'waiting';
    pending.barrier = '';
  }

  /** A request of ours gets a fresh `requestTimeoutMs` (after a payment request or a payment). */
  #extend(peer: Peer, key: string, pending: ClientPending): void {
    const h = this.#host;
    pending.expiresAt = h.now() + h.limits.requestTimeoutMs;
    h.deadlines.set(requestKey(peer, key), pending.expiresAt, { kind: 'request', peer, key });
  }
}
