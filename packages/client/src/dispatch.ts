import { endpointOf } from '@peerwire/address';
import {
  type IDCard,
  type Keychain,
  openBottle,
  type PrivateKey,
  sealMessageBody,
  signedBy,
} from '@peerwire/crypto';
import {
  decodeInstantMessage,
  encodeInstantMessage,
  hasFlag,
  type InstantMessage,
  MsgFlag,
  PeerwireError,
} from '@peerwire/wire';
import { ClientError } from './errors.js';
import type { Queries } from './queries.js';

const encoder = new TextEncoder();

/** A request delivered to a handler. */
export interface IncomingRequest {
  /** Sender address as the relay rewrote it (`k.<hash>/<endpoint>`, or `@/` for the relay). */
  readonly from: string;
  /** Identity hash of the sender (empty for the relay). */
  readonly fromHash: string;
  /** The endpoint addressed (first path segment after the target). */
  readonly endpoint: string;
  /** The full recipient address. */
  readonly to: string;
  readonly payload: Uint8Array;
  /** Whether the payload was encrypted to us (false: sign-only bottle or raw). */
  readonly encrypted: boolean;
  /** Whether the body was raw (NotBottle): then nothing is signed, only the relay vouches for `from`. */
  readonly raw: boolean;
  /** The sender's IDCard, when the body was a bottle. */
  readonly card: IDCard | undefined;
  readonly messageId: Uint8Array;
}

/** What a handler returns: the response payload, or nothing for no response. */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that answers nothing simply returns
export type HandlerResult = Uint8Array | string | undefined | void;

/** Answers requests to one endpoint. Throwing (or rejecting) answers an error text. */
export type Handler = (request: IncomingRequest) => HandlerResult | Promise<HandlerResult>;

/** What dispatching needs from the client. */
export interface DispatchContext {
  readonly keychain: Keychain;
  /** The identity key (seals answers). */
  readonly self: PrivateKey;
  readonly queries: Queries;
  card(hash: string): Promise<IDCard>;
  nowSeconds(): number;
  /** Sends a packet on the best online relay connection. */
  transmit(packet: Uint8Array): Promise<void>;
  problem(message: string, url?: string): void;
}

/**
 * Incoming instant messages: responses go to the query waiting on their return endpoint,
 * requests to the handler of their endpoint (or `*`), whose result is answered sealed to the
 * sender when the request was a bottle, raw otherwise.
 */
export class Dispatcher {
  readonly #handlers = new Map<string, Handler>();

  constructor(readonly ctx: DispatchContext) {}

  /** Registers the handler of an endpoint; returns the function that removes it. */
  handle(endpoint: string, handler: Handler): () => void {
    this.#handlers.set(endpoint, handler);
    return () => {
      if (this.#handlers.get(endpoint) === handler) this.#handlers.delete(endpoint);
    };
  }

  /** One instant-message packet from the relay connection at `url`. */
  packet(url: string, packet: Uint8Array): void {
    let msg: InstantMessage;
    try {
      msg = decodeInstantMessage(packet, { maxBodyLength: Number.MAX_SAFE_INTEGER });
    } catch (error) {
      this.ctx.problem(`bad instant message: ${(error as Error).message}`, url);
      return;
    }
    const endpoint = endpointOf(msg.recipient);
    if (hasFlag(msg.flags, MsgFlag.Response)) {
      this.ctx.queries.answer(endpoint, msg);
      return;
    }
    void this.#request(msg, endpoint);
  }

  /** The request as a handler sees it; a `BAD_MESSAGE` error when it cannot be accepted. */
  async #incoming(msg: InstantMessage, endpoint: string): Promise<IncomingRequest> {
    const bottled = !hasFlag(msg.flags, MsgFlag.NotBottle);
    const fromHash = msg.sender.startsWith('k.') ? msg.sender.slice(2).split('/')[0]! : '';
    let payload = msg.body;
    let encrypted = false;
    let card: IDCard | undefined;
    if (bottled) {
      if (!fromHash) {
        throw new ClientError(
          'BAD_MESSAGE',
          `bottled message from ${msg.sender}, which is not an identity`,
        );
      }
      card = await this.ctx.card(fromHash);
      const opened = await openBottle(msg.body, this.ctx.keychain);
      if (!signedBy(opened, card, this.ctx.nowSeconds()))
        throw new ClientError('BAD_MESSAGE', 'not signed by the sender');
      encrypted = opened.decryptions > 0;
      payload = opened.payload;
    }
    return {
      from: msg.sender,
      fromHash,
      endpoint,
      to: msg.recipient,
      payload,
      encrypted,
      raw: !bottled,
      card,
      messageId: msg.id,
    };
  }

  async #request(msg: InstantMessage, endpoint: string): Promise<void> {
    let request: IncomingRequest;
    try {
      request = await this.#incoming(msg, endpoint);
    } catch (error) {
      this.ctx.problem(`dropped a message from ${msg.sender}: ${(error as Error).message}`);
      return;
    }
    const handler = this.#handlers.get(endpoint) ?? this.#handlers.get('*');
    let result: HandlerResult;
    let failed = false;
    if (!handler) {
      result = `unknown endpoint ${endpoint}`;
      failed = true;
    } else {
      try {
        result = await handler(request);
      } catch (error) {
        failed = true;
        result =
          error instanceof PeerwireError || error instanceof Error ? error.message : String(error);
      }
    }
    if (result === undefined) return;
    const body = typeof result === 'string' ? encoder.encode(result) : result;
    const flags = failed ? MsgFlag.Response | MsgFlag.Error : MsgFlag.Response;
    try {
      const sealed =
        !request.raw && request.card
          ? await sealMessageBody(body, {
              signer: this.ctx.self,
              recipient: request.card,
              now: this.ctx.nowSeconds(),
            })
          : undefined;
      await this.ctx.transmit(
        encodeInstantMessage({
          id: msg.id,
          flags: sealed ? flags : flags | MsgFlag.NotBottle,
          recipient: msg.sender,
          sender: '/noreply',
          body: sealed ?? body,
        }),
      );
    } catch (error) {
      this.ctx.problem(`cannot answer ${msg.sender}: ${(error as Error).message}`);
    }
  }
}
