import { type CryptoBackend, IDCard } from '@peerwire/crypto';
import { bytesEqual, toHex } from '@peerwire/wire';
import { PtpchatError } from './errors.js';
import type { NodeId } from './node-id.js';

/** The ID card meta key that names the node a card belongs to (peerwire, spec §14). */
export const NODE_ID_META_KEY = 'ptpchat_node_id';

/** A pinned certificate (spec §7.1). */
export interface Pin {
  readonly nodeId: NodeId;
  readonly card: IDCard;
  readonly certificate: Uint8Array;
}

/**
 * Certificates (base64 signed ID cards, spec §7.1) kept per node GUID. The first valid card seen
 * for a GUID is pinned (trust on first use); a card with a different `Self` for that GUID is a
 * GUID impostor and refused; a newer card (`Issued` later) with the same `Self` replaces the pin.
 * A card whose meta names a node (`ptpchat_node_id`) must name this GUID: such a card binds the
 * node id to the key and defeats a first-contact impostor who cannot get it signed.
 */
export class CertificateStore {
  readonly #pins = new Map<string, Pin>();

  constructor(
    readonly maxEntries: number,
    readonly maxCertificateBytes: number,
    readonly backend?: CryptoBackend,
  ) {}

  get size(): number {
    return this.#pins.size;
  }

  get(guid: string): Pin | undefined {
    return this.#pins.get(guid);
  }

  /** Every pin, for persisting (`PtpchatNodeOptions.pins`). */
  entries(): [guid: string, certificate: Uint8Array][] {
    return [...this.#pins].map(([guid, pin]) => [guid, pin.certificate]);
  }

  /**
   * Verifies `certificate` for the node and pins it. Returns the pin and whether it changed
   * anything. Throws `BAD_CERTIFICATE`, `GUID_IMPOSTOR` or `LIMIT_EXCEEDED`.
   */
  async accept(
    nodeId: NodeId,
    guid: string,
    certificate: Uint8Array,
  ): Promise<{ pin: Pin; changed: boolean }> {
    if (certificate.length > this.maxCertificateBytes) {
      throw new PtpchatError(
        'BAD_CERTIFICATE',
        `certificate of ${certificate.length} bytes is too large`,
      );
    }
    let card: IDCard;
    try {
      card = await IDCard.parseSigned(certificate, this.backend ? { backend: this.backend } : {});
    } catch (cause) {
      throw new PtpchatError('BAD_CERTIFICATE', 'certificate is not a valid signed ID card', {
        cause,
      });
    }
    const named = card.meta?.get(NODE_ID_META_KEY);
    if (named !== undefined && named.toLowerCase().split('@').pop() !== guid) {
      throw new PtpchatError('BAD_CERTIFICATE', `certificate names node ${named}, not ${nodeId}`);
    }
    const old = this.#pins.get(guid);
    if (old) {
      if (!bytesEqual(old.card.self, card.self)) {
        throw new PtpchatError(
          'GUID_IMPOSTOR',
          `a different key (${toHex(card.self).slice(-16)}) claims GUID ${guid}`,
        );
      }
      if (card.issued <= old.card.issued) return { pin: old, changed: false };
    } else if (this.#pins.size >= this.maxEntries) {
      throw new PtpchatError('LIMIT_EXCEEDED', 'certificate store is full');
    }
    const pin: Pin = { nodeId, card, certificate };
    this.#pins.set(guid, pin);
    return { pin, changed: true };
  }
}
