/**
 * `peerwire datt …`: post and get signed content on a Datt node, run one, and manage the Datt
 * key. The key is a secp256k1 secret key kept in the keychain file beside the Spot keys
 * (`Keychain.addSecp256k1Key`: saved and encrypted with them, never used for Spot).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { saveKeychain } from '@peerwire/crypto/node';
import {
  addressFromPublicKey,
  addressFromString,
  addressToString,
  type ContentAuth,
  DattError,
  type DattEvent,
  DattRequestError,
  DEFAULT_MAX_DMSG_DATA_LENGTH,
  decodeContentAuth,
  encodeContentBody,
  generatePrivateKey,
  HASH_LENGTH,
  MemoryContentStore,
  type PaymentRequest,
  parseContentBody,
  parseTransaction,
  publicKeyOf,
  transactionId,
  verifyPayment,
} from '@peerwire/datt';
import { type DattNode, startDattNode, type Wallet } from '@peerwire/datt/node';
import { fromHex, toHex } from '@peerwire/wire';
import type { Command } from 'commander';
import {
  CliError,
  EXIT,
  type GlobalOptions,
  openKeychain,
  output,
  passphrase,
  printable,
} from '../context.js';
import { hostPortProblem, portArg, satoshisArg } from '../options.js';

/** Exit code of a request the node would serve or store only against a payment that was not given. */
export const EXIT_PAYMENT_REQUIRED = 10;

/** Default node address: `PEERWIRE_DATT_NODE`, else the relay's default Datt TCP port on this machine. */
export const DEFAULT_DATT_NODE = '127.0.0.1:4000';

/** The largest content one post can carry: a DMsg's data minus the content hash and the ContentAuth header. */
const MAX_CONTENT = DEFAULT_MAX_DMSG_DATA_LENGTH - HASH_LENGTH - 195;

const HELP = `
The Datt key is a secp256k1 key kept in the keychain file (encrypted with it when
PEERWIRE_PASSPHRASE is set); create it once with: peerwire datt key --new

--node takes host:port (TCP), tcp://host:port or ws(s)://host:port/path
(env PEERWIRE_DATT_NODE; default ${DEFAULT_DATT_NODE}, the relay's default Datt port).

Payments: a node may ask for satoshis before it stores or serves content. Pass a raw
Bitcoin transaction (hex, or @file with the raw bytes or hex) with --pay; it is checked
to pay the asked amount to the asked address before it is sent. Without --pay the
request stops with exit code ${EXIT_PAYMENT_REQUIRED} and says what the node asks.

Exit codes (besides peerwire --help's): ${EXIT_PAYMENT_REQUIRED} payment required.`;

interface NodeOptions {
  node?: string;
  pay?: string;
}

function nodeUrl(given: string | undefined): string {
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
async function dattKey(g: GlobalOptions): Promise<Uint8Array> {
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
function readTransaction(arg: string): Uint8Array {
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

function describeRequest(r: PaymentRequest): Record<string, string> {
  return { amount: `${r.amount}`, address: addressToString(r.address), ref: toHex(r.ref) };
}

/**
 * The wallet of a one-shot request: pays with `--pay` when that transaction pays what is asked;
 * otherwise declines and remembers why.
 */
function cliWallet(pay: Uint8Array | undefined) {
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
async function connectNode(
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
function requestFailure(
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
function contentOf(
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
function fileExists(path: string): CliError {
  return new CliError(
    `${path} already exists; nothing was overwritten (use --force to replace it, or -o to save elsewhere)`,
    EXIT.failure,
  );
}

function hashArg(arg: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(arg)) {
    throw new CliError(`${JSON.stringify(arg)} is not a content hash (64 hex digits)`, EXIT.usage);
  }
  return fromHex(arg.toLowerCase());
}

function describeContent(hash: Uint8Array, ca: ContentAuth): Record<string, unknown> {
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

function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'peerwire', 'datt');
}

function eventLine(event: DattEvent): { json: Record<string, unknown>; text: string } | undefined {
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

export function registerDatt(program: Command, globals: () => GlobalOptions): void {
  const datt = program
    .command('datt')
    .description('Datt: post and get signed content on a Datt node, or run one')
    .addHelpText('after', HELP);

  datt
    .command('key')
    .description('show the Datt key of the keychain (public key and payout address)')
    .option('--new', 'create the Datt key (kept in the keychain file)')
    .option('--force', 'with --new: replace an existing Datt key (payments to it are lost)')
    .action(async (opts: { new?: boolean; force?: boolean }) => {
      const g = globals();
      const { keychain, path } = await openKeychain(g);
      if (opts.new) {
        const existing = keychain.secp256k1Keys();
        if (existing.length > 0 && !opts.force) {
          throw new CliError(
            `the keychain ${path} already holds a Datt key; --force replaces it (payments to its address are lost)`,
            EXIT.usage,
          );
        }
        for (const k of existing) keychain.deleteSecp256k1Key(k);
        keychain.addSecp256k1Key(generatePrivateKey());
        const pass = passphrase();
        await saveKeychain(path, keychain, pass === undefined ? {} : { passphrase: pass });
      }
      const key = keychain.secp256k1Keys()[0];
      if (!key) {
        throw new CliError(
          `the keychain ${path} holds no Datt key; create one with: peerwire datt key --new`,
          EXIT.usage,
        );
      }
      const publicKey = publicKeyOf(key);
      const address = addressToString(addressFromPublicKey(publicKey));
      output(
        g,
        { publicKey: toHex(publicKey), address, keychain: path, created: Boolean(opts.new) },
        `${opts.new ? 'created Datt key\n' : ''}public key: ${toHex(publicKey)}\naddress:    ${address}`,
      );
    });

  datt
    .command('post')
    .description('sign content with the Datt key and post it to a node; prints its hash')
    .argument(
      '[file|text]',
      'a file to post; words that do not look like a file name are posted as text',
    )
    .option('--node <address>', 'the node to post to (host:port, tcp://…, ws://…)')
    .option('--title <title>', 'title (default: the file name or the first line)')
    .option('--label <label>', 'label (channel)', 'general')
    .option('--name <name>', 'author name shown with the content', '')
    .option('--text <text>', 'post this text (even if it looks like, or is, a file name)')
    .option('--raw', 'post the bytes as they are, not as a markdown content body')
    .option('--pay <tx>', 'raw transaction (hex or @file) to pay the node if it asks')
    .action(
      async (
        arg: string | undefined,
        opts: NodeOptions & {
          title?: string;
          label: string;
          name: string;
          text?: string;
          raw?: boolean;
        },
      ) => {
        const g = globals();
        const url = nodeUrl(opts.node);
        const { content } = contentOf(arg, opts);
        const pay = opts.pay === undefined ? undefined : readTransaction(opts.pay);
        const key = await dattKey(g);
        const { wallet, state } = cliWallet(pay);
        const node = await connectNode(g, url, key, wallet);
        try {
          const result = await node.post(content);
          const peer = result.peers[0];
          if (!peer?.ok) {
            const error = peer?.error ?? new DattRequestError('CLOSED', 'no answer');
            throw requestFailure(g, error, url, 'store this content', state);
          }
          const hash = toHex(result.hash);
          const paid = peer.txid
            ? { txid: toHex(peer.txid), amount: `${state.asked?.amount ?? 0n}` }
            : undefined;
          output(
            g,
            { hash, node: url, bytes: result.contentAuth.length, ...(paid ? { paid } : {}) },
            paid ? `${hash}\n(paid ${paid.amount} satoshis, txid ${paid.txid})` : hash,
          );
        } finally {
          await node.close();
        }
      },
    );

  datt
    .command('get')
    .description('get signed content by hash from a node, verify it and print it')
    .argument('<hash>', 'content hash (64 hex digits)')
    .option('--node <address>', 'the node to ask (host:port, tcp://…, ws://…)')
    .option('-o, --output <file>', 'write the content to a file instead of stdout')
    .option('--force', 'with -o: replace an existing file')
    .option(
      '--signed',
      'output the whole signed ContentAuth (re-verifiable) instead of the content',
    )
    .option('--pay <tx>', 'raw transaction (hex or @file) to pay the node if it asks')
    .action(
      async (
        arg: string,
        opts: NodeOptions & { output?: string; signed?: boolean; force?: boolean },
      ) => {
        const g = globals();
        const url = nodeUrl(opts.node);
        const hash = hashArg(arg);
        // Refuse before asking the node (and paying it): nothing is fetched to be thrown away.
        if (opts.output !== undefined && !opts.force && existsSync(opts.output)) {
          throw fileExists(opts.output);
        }
        const pay = opts.pay === undefined ? undefined : readTransaction(opts.pay);
        // Reading needs no identity: the node signs nothing, so a throwaway key does.
        const key = generatePrivateKey();
        const { wallet, state } = cliWallet(pay);
        const node = await connectNode(g, url, key, wallet);
        let signed: Uint8Array;
        try {
          signed = await node.get(hash);
        } catch (error) {
          if (error instanceof DattRequestError) {
            throw requestFailure(g, error, url, 'serve this content', state);
          }
          throw error;
        } finally {
          await node.close();
        }
        // The node engine verified the signature, the embedded key and the hash.
        const ca = decodeContentAuth(signed);
        const info = describeContent(hash, ca);
        let body: Uint8Array | string;
        if (opts.signed) body = signed;
        else {
          try {
            body = parseContentBody(ca.content).body;
          } catch {
            body = ca.content;
          }
        }
        const paid = state.paid
          ? { paid: { txid: toHex(state.paid), amount: `${state.asked!.amount}` } }
          : {};
        if (opts.output) {
          try {
            // `wx` keeps the refusal true even if the file appeared while the node answered.
            writeFileSync(opts.output, body, { flag: opts.force ? 'w' : 'wx' });
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw fileExists(opts.output);
            throw new CliError(`cannot write ${opts.output}: ${(error as Error).message}`);
          }
          output(g, { ...info, ...paid, written: opts.output }, `wrote ${opts.output}`);
          return;
        }
        if (g.json) {
          output(g, { ...info, ...paid, ...(opts.signed ? { signed: toHex(signed) } : {}) }, '');
          return;
        }
        if (typeof body === 'string')
          process.stdout.write(body.endsWith('\n') ? body : `${body}\n`);
        else if (opts.signed) process.stdout.write(`${toHex(body)}\n`);
        else process.stdout.write(body);
      },
    );

  datt
    .command('serve')
    .description('run a Datt node (stores, serves and charges for content) until interrupted')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 = any free port)', portArg(0), 4000)
    .option('--ws-port <port>', 'also listen on WebSocket at this port', portArg(0))
    .option('--data-dir <dir>', `where content is kept (default ${defaultDataDir()})`)
    .option('--memory', 'keep content in memory only')
    .option('--get-price <satoshis>', 'satoshis asked per download', satoshisArg, 0)
    .option('--post-price <satoshis>', 'satoshis asked per stored post', satoshisArg, 0)
    .option('--pay-to <address>', 'Base58Check address paid (default: the Datt key)')
    .option('--peer <address...>', 'nodes to connect to (host:port, tcp://…, ws://…)')
    .action(
      async (opts: {
        host: string;
        port: number;
        wsPort?: number;
        dataDir?: string;
        memory?: boolean;
        getPrice: number;
        postPrice: number;
        payTo?: string;
        peer?: string[];
      }) => {
        const g = globals();
        const key = await dattKey(g);
        let payTo: Uint8Array;
        try {
          payTo = opts.payTo
            ? addressFromString(opts.payTo)
            : addressFromPublicKey(publicKeyOf(key));
        } catch (error) {
          throw new CliError(`--pay-to: ${(error as Error).message}`, EXIT.usage);
        }
        const peers = (opts.peer ?? []).map(nodeUrl);
        const dataDir = opts.dataDir ?? defaultDataDir();
        const print = (event: DattEvent) => {
          const line = eventLine(event);
          if (line) output(g, line.json, line.text);
        };
        const node = await startDattNode({
          ...(opts.memory ? { store: new MemoryContentStore() } : { dataDir }),
          host: opts.host,
          tcpPort: opts.port,
          ...(opts.wsPort === undefined ? {} : { wsPort: opts.wsPort }),
          keys: { privateKey: key },
          policy: {
            getPrice: BigInt(opts.getPrice),
            postPrice: BigInt(opts.postPrice),
            payTo,
          },
          onEvent: print,
        }).catch((error: unknown) => {
          const e = error as { code?: string; message?: string };
          if (e.code === 'LISTEN_FAILED') throw new CliError(`${e.message}; choose another --port`);
          if (e.code === 'LEVEL_DATABASE_NOT_OPEN' || e.code === 'LEVEL_LOCKED') {
            throw new CliError(`cannot open ${dataDir}: is another node using it?`);
          }
          throw error;
        });
        const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
        output(
          g,
          {
            event: 'listening',
            tcp: node.ports.tcp,
            ...(node.ports.ws === undefined ? {} : { ws: node.ports.ws }),
            payTo: addressToString(payTo),
            store: opts.memory ? '(memory)' : dataDir,
          },
          `datt node listening on tcp://${host}:${node.ports.tcp}${node.ports.ws === undefined ? '' : ` and ws://${host}:${node.ports.ws}/`} (payments to ${addressToString(payTo)}); Ctrl-C stops it`,
        );
        for (const peer of peers) {
          await node.connect(peer).catch((error: unknown) => {
            output(
              g,
              { event: 'peer-failed', peer, error: (error as Error).message },
              `could not connect to ${peer}: ${(error as Error).message}`,
            );
          });
        }
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await node.close();
        output(g, { event: 'stopped' }, 'datt node stopped');
      },
    );
}
