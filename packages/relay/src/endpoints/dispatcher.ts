import { hasFlag, type InstantMessage, MsgFlag } from '@peerwire/wire';
import type { Connection } from '../connection.js';
import type { RelayContext } from '../context.js';
import type { Router } from '../router.js';
import type { Tickets } from '../tickets.js';
import {
  type Endpoint,
  type EndpointOutcome,
  endpointFailed,
  isEndpointRefusal,
} from './endpoint.js';

/** One request being served. */
interface Call {
  readonly conn: Connection;
  readonly msg: InstantMessage;
  readonly sender: string;
  readonly name: string;
  readonly isResponse: boolean;
}

/**
 * Serves `@/<endpoint>` requests: unwraps and checks the request payload, runs the endpoint
 * (through tickets when it waits for work), and answers raw from `@/` (the result, or the
 * refusal text with the Error flag). Responses sent to `@/` are run for their effect and never
 * answered.
 */
export class EndpointDispatcher {
  readonly #endpoints = new Map<string, Endpoint>();

  constructor(
    readonly ctx: RelayContext,
    readonly router: Router,
    readonly tickets: Tickets,
    endpoints: readonly Endpoint[],
  ) {
    for (const e of endpoints) this.#endpoints.set(e.name, e);
  }

  /** Serves one request; `path` is the recipient after `@/`, `sender` the rewritten sender. */
  serve(conn: Connection, msg: InstantMessage, sender: string, path: string, now: number): void {
    const call: Call = {
      conn,
      msg,
      sender,
      name: path.split('/')[0]!,
      isResponse: hasFlag(msg.flags, MsgFlag.Response),
    };
    if (hasFlag(msg.flags, MsgFlag.NotBottle)) {
      this.#step(call, () => this.#endpoint(call, msg.body, now));
      return;
    }
    // A sign-only bottle: every signature must verify, and one signer must be a `sign` key of
    // the sender's card.
    this.tickets.issue(
      { type: 'verify', check: { kind: 'bottle', body: msg.body } },
      (result, at) =>
        this.#step(call, () => {
          if (!result.ok) {
            const detail =
              result.error instanceof Error ? result.error.message : String(result.error);
            throw endpointFailed(`invalid request bottle: ${detail}`);
          }
          const opened = result.value as { payload: Uint8Array; signers: readonly Uint8Array[] };
          const seconds = Math.floor(at / 1000);
          const card = call.conn.card!;
          if (!opened.signers.some((pkix) => card.testKeyPurpose(pkix, 'sign', seconds)))
            throw endpointFailed('request is not signed by a sign key of your IDCard');
          return this.#endpoint(call, opened.payload, at);
        }),
    );
  }

  #endpoint(call: Call, payload: Uint8Array, now: number): EndpointOutcome {
    const endpoint = this.#endpoints.get(call.name);
    if (endpoint === undefined) throw endpointFailed(`unknown endpoint ${call.name}`);
    return endpoint.serve(call.conn, payload, now);
  }

  /** Runs one step of an endpoint and acts on its outcome (answer, refusal, or more work). */
  #step(call: Call, step: () => EndpointOutcome): void {
    let outcome: EndpointOutcome;
    try {
      outcome = step();
    } catch (error) {
      this.#failed(call, error);
      return;
    }
    if (outcome instanceof Uint8Array) {
      if (!call.isResponse && call.conn.state === 'online')
        this.router.reply(call.conn, call.msg, call.sender, outcome, false);
      return;
    }
    const pending = outcome;
    this.tickets.issue(
      pending.work,
      (result, now) => {
        if (result.ok) this.#step(call, () => pending.next(result.value, now));
        else this.#failed(call, result.error);
      },
      pending.serial,
    );
  }

  /** A refusal is answered with its text; anything else is a fault: reported, `internal error`. */
  #failed(call: Call, error: unknown): void {
    const refused = isEndpointRefusal(error);
    if (!refused) this.ctx.event({ type: 'store-error', operation: call.name, error });
    if (call.isResponse || call.conn.state !== 'online') return;
    this.router.replyError(
      call.conn,
      call.msg,
      call.sender,
      refused ? error.message : 'internal error',
    );
  }
}
