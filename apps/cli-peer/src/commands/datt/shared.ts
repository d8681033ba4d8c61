// Helpers shared by the `peerwire datt` subcommands (node URLs, the Datt key, payments, content).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import {
  addressToString,
  type ContentAuth,
  DattError,
  type DattEvent,
  DattRequestError,
  DEFAULT_MAX_DMSG_DATA_LENGTH,
  encodeContentBody,
  HASH_LENGTH,
  MemoryContentStore,
  type PaymentRequest,
  parseContentBody,
  parseTransaction,
  transactionId,
  verifyPayment,
} from '@peerwire/datt';
import { type DattNode, startDattNode, type Wallet } from '@peerwire/datt/node';
import { fromHex, toHex } from '@peerwire/wire';
import {
  CliError,
  EXIT,
  type GlobalOptions,
  openKeychain,
  output,
  printable,
} from '../../context.js';

import { hostPortProblem } from '../../options.js';

/** Exit code of a request the node would serve or store only against a payment that was not given. */
export const EXIT_PAYMENT_REQUIRED = EXIT.paymentRequired;

/** Default node address: `PEERWIRE_DATT_NODE`, else the relay's default Datt TCP port on this machine. */
export const DEFAULT_DATT_NODE = '127.0.0.1:4000';

/** The largest content one post can carry: a DMsg's data minus the content hash and the ContentAuth header. */
export const MAX_CONTENT = DEFAULT_MAX_DMSG_DATA_LENGTH - HASH_LENGTH - 195;

export interface NodeOptions {
  node?: string;
  pay?: string;
}

export function nodeUrl(given: string | undefined): string {
  const spec = given ?? process.env.PEERWIRE_DATT_NODE ?? DEFAULT_DATT_NODE;
  if (/^(tcp|wss?):\/\//.test(spec)) {
    let url: URL | undefined;
    try {
      url = new URL(spec);
    } catch {
      url = undefined;
    }
    // URL() itself refuses a port above 65535; tcp:// needs one.
    if (url?.hostname && (url.port !== '' || !spec.startsWith('tcp:'))) return spec;
  } else if (hostPortProblem(spec) === undefined) {
    return `tcp://${spec}`;
  }
  throw new CliError(
    `--node ${JSON.stringify(spec)} is not host:port, tcp://host:port or ws://host:port/path`,
    EXIT.usage,
  );
}

/** The Datt key of the keychain; a clear error when there is none. */
export async function dattKey(g: GlobalOptions): Promise<Uint8Array> {
  const { keychain, path } = await openKeychain(g);
  const key = keychain.secp256k1Keys()[0];
  if (!key) {
    throw new CliError(
      `the keychain ${path} holds no Datt key; create one with: peerwire datt key --new`,
      EXIT.usage,
    );
  }
  return key;
}

/** A transaction from `--pay`: hex, or @file holding the raw bytes or hex. */
export function readTransaction(arg: string): Uint8Array {
  let bytes: Uint8Array;
  if (arg.startsWith('@')) {
    const file = arg.slice(1);
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
    }
    const text = new TextDecoder().decode(bytes).trim();
    if (/^([0-9a-fA-F]{2})+$/.test(text)) bytes = fromHex(text.toLowerCase());
  } else {
    if (!/^([0-9a-fA-F]{2})+$/.test(arg)) {
      throw new CliError('--pay takes a raw transaction in hex, or @file', EXIT.usage);
    }
    bytes = fromHex(arg.toLowerCase());
  }
  try {
    parseTransaction(bytes);
  } catch (error) {
    throw new CliError(
      `--pay is not a Bitcoin transaction: ${(error as Error).message}`,
      EXIT.usage,
    );
  }
  return bytes;
}

export function describeRequest(r: PaymentRequest): Record<string, string> {
  return { amount: `${r.amount}`, address: addressToString(r.address), ref: toHex(r.ref) };
}

/**
 * The wallet of a one-shot request: pays with `--pay` when that transaction pays what is asked;
 * otherwise declines and remembers why.
 */
export function cliWallet(pay: Uint8Array | undefined) {
  const state: { asked?: PaymentRequest; mismatch?: string; paid?: Uint8Array } = {};
  const wallet: Wallet = (request) => {
    state.asked = request;
    if (!pay) return undefined;
    try {
      verifyPayment(pay, request);
    } catch (error) {
      state.mismatch = error instanceof DattError ? error.message : String(error);
      return undefined;
    }
    state.paid = transactionId(parseTransaction(pay));
    return pay;
  };
  return { wallet, state };
}

/** A node without listeners, with a memory store, connected to `--node`. */
export async function connectNode(
  g: GlobalOptions,
  url: string,
  privateKey: Uint8Array,
  wallet: Wallet,
): Promise<DattNode> {
  const timeout = g.timeout;
  const node = await startDattNode({
    store: new MemoryContentStore(),
    keys: { privateKey },
    wallet,
    policy: { storeFetched: false },
    ...(timeout !== undefined && timeout > 0
      ? { connectTimeoutMs: timeout, limits: { requestTimeoutMs: timeout } }
      : {}),
  });
  try {
    await node.connect(url);
  } catch (error) {
    await node.close();
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const why = cause instanceof Error ? cause.message : String(cause);
    const code = error instanceof DattRequestError && error.code === 'TIMEOUT';
    throw new CliError(
      `cannot reach the Datt node at ${url}: ${why}`,
      code ? EXIT.timeout : EXIT.offline,
    );
  }
  return node;
}

/** Turns a failed request into the error a user can act on. */
export function requestFailure(
  g: GlobalOptions,
  error: DattRequestError,
  url: string,
  what: string,
  state: ReturnType<typeof cliWallet>['state'],
): CliError {
  switch (error.code) {
    case 'PAYMENT_DECLINED': {
      const asked = state.asked!;
      const wants = `${asked.amount} satoshis to ${addressToString(asked.address)}`;
      if (state.mismatch !== undefined) {
        return new CliError(
          `the node asks ${wants} to ${what}; the --pay transaction does not pay that: ${state.mismatch}`,
          EXIT_PAYMENT_REQUIRED,
        );
      }
      output(
        g,
        { paymentRequired: describeRequest(asked), node: url },
        `payment required: ${wants} (ref ${toHex(asked.ref)})`,
      );
      return new CliError(
        `the node asks ${wants} to ${what}; pay it with --pay <raw transaction hex|@file>`,
        EXIT_PAYMENT_REQUIRED,
      );
    }
    case 'PAYMENT_REJECTED':
      return new CliError(
        `the node at ${url} did not accept the payment (already used, or not what it asked)`,
        EXIT.remote,
      );
    case 'NOT_FOUND':
      return new CliError(`the node at ${url} does not have this content`, EXIT.remote);
    case 'TIMEOUT':
      return new CliError(`the node at ${url} did not answer in time`, EXIT.timeout);
    case 'CLOSED':
      return new CliError(`the node at ${url} closed the connection`, EXIT.offline);
    default:
      return new CliError(error.message);
  }
}

/**
 * Whether a `post` argument reads as a file name rather than words: one line holding a `/` (or
 * `\\`) or ending in a file extension (`.md`, `.txt`, …). Such an argument naming no file is an
 * error, never published as text: a typo must not become signed content on a node.
 */
export function looksLikePath(arg: string): boolean {
  return !arg.includes('\n') && (/[/\\]/.test(arg) || /\.[A-Za-z][A-Za-z0-9]{0,9}$/.test(arg));
}

/** What `post` sends: the file or the text, as a content body (markdown JSON) unless `--raw`. */
export function contentOf(
  arg: string | undefined,
  opts: { text?: string; raw?: boolean; title?: string; label: string; name?: string },
): { content: Uint8Array; source: string } {
  if ((arg === undefined) === (opts.text === undefined)) {
    const both = arg !== undefined ? ', not both' : '';
    throw new CliError(`post takes either a file or --text <text>${both}`, EXIT.usage);
  }
  let bytes: Uint8Array;
  let source: string;
  let title: string;
  let isFile = false;
  if (arg !== undefined) {
    try {
      isFile = statSync(arg).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile && looksLikePath(arg)) {
      const what = existsSync(arg) ? `${arg} is not a file` : `there is no file ${arg}`;
      throw new CliError(
        `${what}; to post these words as text, use --text ${JSON.stringify(arg)}`,
        EXIT.usage,
      );
    }
  }
  const words = opts.text ?? arg!;
  if (isFile && arg !== undefined) {
    try {
      bytes = new Uint8Array(readFileSync(arg));
    } catch (error) {
      throw new CliError(`cannot read ${arg}: ${(error as Error).message}`, EXIT.usage);
    }
    source = arg;
    title = basename(arg);
  } else {
    bytes = new TextEncoder().encode(words);
    source = 'text';
    title = words.split('\n', 1)[0]!.slice(0, 80);
  }
  let content = bytes;
  if (!opts.raw) {
    const shown = printable(bytes);
    if (shown.text === undefined) {
      throw new CliError(`${source} is not UTF-8 text; post it as it is with --raw`, EXIT.usage);
    }
    content = encodeContentBody({
      name: opts.name ?? '',
      label: opts.label,
      title: opts.title ?? title,
      body: shown.text,
    });
  }
  if (content.length > MAX_CONTENT) {
    throw new CliError(
      `${source} makes ${content.length} bytes of content; a Datt message carries at most ${MAX_CONTENT}`,
      EXIT.usage,
    );
  }
  return { content, source };
}

/** The refusal of `get -o` onto an existing file: the same words and exit code as `recv`'s. */
export function fileExists(path: string): CliError {
  return new CliError(
    `${path} already exists; nothing was overwritten (use --force to replace it, or -o to save elsewhere)`,
    EXIT.failure,
  );
}

export function hashArg(arg: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(arg)) {
    throw new CliError(`${JSON.stringify(arg)} is not a content hash (64 hex digits)`, EXIT.usage);
  }
  return fromHex(arg.toLowerCase());
}

export function describeContent(hash: Uint8Array, ca: ContentAuth): Record<string, unknown> {
  let body: Record<string, unknown>;
  try {
    body = { ...parseContentBody(ca.content) };
  } catch {
    body = printable(ca.content);
  }
  return {
    hash: toHex(hash),
    author: toHex(ca.pubkey),
    payoutAddress: addressToString(ca.address),
    date: new Date(ca.date).toISOString(),
    parent: toHex(ca.parenthash),
    content: body,
  };
}

export function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'peerwire', 'datt');
}

export function eventLine(
  event: DattEvent,
): { json: Record<string, unknown>; text: string } | undefined {
  switch (event.type) {
    case 'peer-ready':
      return { json: { event: 'peer', peer: event.peer }, text: `peer ${event.peer} connected` };
    case 'peer-closed':
      return {
        json: { event: 'closed', peer: event.peer, reason: event.reason },
        text: `peer ${event.peer} closed (${event.reason})`,
      };
    case 'misbehaved':
      return {
        json: {
          event: 'misbehaved',
          peer: event.peer,
          reason: event.reason,
          detail: event.message,
        },
        text: `peer ${event.peer} misbehaved (${event.reason}): ${event.message}`,
      };
    case 'content-stored':
      return {
        json: { event: 'stored', hash: toHex(event.hash), peer: event.peer ?? null },
        text: `stored ${toHex(event.hash)}${event.peer ? ` from ${event.peer}` : ''}`,
      };
    case 'content-served':
      return {
        json: { event: 'served', hash: toHex(event.hash), peer: event.peer },
        text: `served ${toHex(event.hash)} to ${event.peer}`,
      };
    case 'payment-accepted':
      return {
        json: {
          event: 'payment',
          peer: event.peer,
          txid: toHex(event.txid),
          value: `${event.value}`,
        },
        text: `payment of ${event.value} satoshis from ${event.peer} (txid ${toHex(event.txid)})`,
      };
    case 'payment-rejected':
      return {
        json: { event: 'payment-refused', peer: event.peer, code: event.code },
        text: `payment from ${event.peer} refused: ${event.message}`,
      };
    default:
      return undefined;
  }
}
