import { openBottle } from '@peerwire/crypto';
import { hasFlag, type InstantMessage, MsgFlag } from '@peerwire/wire';
import type { Connection } from '../connection.js';
import type { RelayContext } from '../context.js';
import type { Router } from '../router.js';
import { type Endpoint, endpointFailed, isEndpointRefusal } from './endpoint.js';

/**
 * Serves `@/<endpoint>` requests: unwraps and checks the request payload, runs the endpoint,
 * and answers raw from `@/` (the result, or the refusal text with the Error flag). Responses
 * sent to `@/` are run for their effect and never answered.
 */
export class EndpointDispatcher {
  readonly #endpoints = new Map<string, Endpoint>();

  constructor(
    readonly ctx: RelayContext,
    readonly router: Router,
    endpoints: readonly Endpoint[],
  ) {
    for (const e of endpoints) this.#endpoints.set(e.name, e);
  }

  /** Serves one request; `path` is the recipient after `@/`, `sender` the rewritten sender. */
  async serve(conn: Connection, msg: InstantMessage, sender: string, path: string): Promise<void> {
    const isResponse = hasFlag(msg.flags, MsgFlag.Response);
    const name = path.split('/')[0]!;
    try {
      const endpoint = this.#endpoints.get(name);
      const payload = await this.#requestPayload(conn, msg);
      if (endpoint === undefined) throw endpointFailed(`unknown endpoint ${name}`);
      const result = await endpoint.serve(conn, payload);
      if (!isResponse && conn.state === 'online')
        this.router.reply(conn, msg, sender, result, false);
    } catch (error) {
      if (isResponse || conn.state !== 'online') return;
      const refused = isEndpointRefusal(error);
      if (!refused) this.ctx.event({ type: 'store_error', operation: name, error });
      this.router.replyError(conn, msg, sender, refused ? error.message : 'internal error');
    }
  }

  /**
   * The request payload: raw with NotBottle, else a sign-only bottle whose signatures must all
   * verify and include a `sign` key of the sender's card.
   */
  async #requestPayload(conn: Connection, msg: InstantMessage): Promise<Uint8Array> {
    if (hasFlag(msg.flags, MsgFlag.NotBottle)) return msg.body;
    let opened: Awaited<ReturnType<typeof openBottle>>;
    try {
      opened = await openBottle(msg.body, undefined, this.ctx.verifyOptions);
    } catch (error) {
      throw endpointFailed(`invalid request bottle: ${(error as Error).message}`);
    }
    const now = Math.floor(this.ctx.clock.now() / 1000);
    const card = conn.card!;
    if (!opened.signers.some((s) => card.testKeyPurpose(s.pkix, 'sign', now))) {
      throw endpointFailed('request is not signed by a sign key of your IDCard');
    }
    return opened.payload;
  }
}
