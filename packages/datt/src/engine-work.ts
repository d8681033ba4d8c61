// The Datt engine's store work as tickets: the engine never awaits its ContentStore. A handler
// that needs the store returns `awaitStore(op, next)`; the engine emits the op as a `ContentWork`
// with a ticket, holds that peer's later messages back (they are processed strictly in order),
// and goes on when the host completes the ticket with `complete(ticket, result)`.
import { DattError } from './errors.js';

/** A ContentStore operation. */
export type ContentOp =
  | { readonly kind: 'get'; readonly hash: Uint8Array }
  | { readonly kind: 'has'; readonly hash: Uint8Array }
  | { readonly kind: 'put'; readonly hash: Uint8Array; readonly contentAuth: Uint8Array };

/** The value an operation completes with, by kind. */
export interface ContentOpValues {
  get: Uint8Array | undefined;
  has: boolean;
  put: undefined;
}

/** Work for the host: run `op` against the content store, then `complete(ticket, result)`. */
export interface ContentWork {
  readonly type: 'store';
  readonly ticket: number;
  readonly op: ContentOp;
}

/** The outcome of a `ContentWork`: the op's value (see `ContentOpValues`), or its error. */
export type ContentResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** What a message handler step gives back: nothing more to do, or store work to wait for. */
export type Step = AwaitStore | undefined;

export interface AwaitStore {
  readonly op: ContentOp;
  next(value: unknown): Step;
  /** What to do when the op fails; without it the message is reported `ignored`. */
  readonly failed: ((error: unknown) => Step) | undefined;
}

/** A step that waits for `op`, then goes on with `next(value)` (or `failed(error)`). */
export function awaitStore<K extends ContentOp['kind']>(
  op: Extract<ContentOp, { kind: K }>,
  next: (value: ContentOpValues[K]) => Step,
  failed?: (error: unknown) => Step,
): AwaitStore {
  return { op, next: next as AwaitStore['next'], failed };
}

/** Outstanding store tickets and what each one resumes. */
export class StoreTickets {
  #next = 1;
  readonly #pending = new Map<number, (result: ContentResult) => void>();

  constructor(readonly emit: (work: ContentWork) => void) {}

  issue(op: ContentOp, then: (result: ContentResult) => void): void {
    const ticket = this.#next++;
    this.#pending.set(ticket, then);
    this.emit({ type: 'store', ticket, op });
  }

  /** Throws `DattError` `BAD_VALUE` for a ticket that is not outstanding. */
  complete(ticket: number, result: ContentResult): void {
    const then = this.#pending.get(ticket);
    if (then === undefined) throw new DattError('BAD_VALUE', `ticket ${ticket} is not outstanding`);
    this.#pending.delete(ticket);
    then(result);
  }

  get outstanding(): number {
    return this.#pending.size;
  }
}
