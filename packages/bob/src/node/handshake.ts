import type { Socket } from 'node:net';
import { BobClient } from '../client.js';
import { BobError, SpokeFailure } from '../errors.js';
import type { HandshakeResult, PeerEvent } from '../peer.js';
import type { BobServer } from '../server.js';
import {
  aborted,
  BorrowedReader,
  type ChunkReader,
  connectBobTcp,
  identityBytes,
  SocketReader,
  writeAll,
} from './connection.js';

/** Default wait, once every sender on the relay rejected the password, before giving up. */
export const DEFAULT_WRONG_PASSWORD_GRACE_MS = 3000;

/** What the handshake tells the caller as it goes. */
export type HandshakeNotice =
  | { readonly type: 'identity'; readonly identity: string }
  /** A partner candidate failed: usually it uses another password. */
  | {
      readonly type: 'attempt-failed';
      readonly identity: string | undefined;
      readonly failure: number;
    }
  | { readonly type: 'paired'; readonly peerIdentity: string };

export interface HandshakeOptions {
  readonly signal?: AbortSignal;
  readonly onNotice?: (notice: HandshakeNotice) => void;
  /** Receiver: asked once per agreement; false refuses. */
  readonly accept?: (identity: string) => Promise<boolean> | boolean;
  /** Receiver: see {@link DEFAULT_WRONG_PASSWORD_GRACE_MS}; `Infinity` waits like bob. */
  readonly wrongPasswordGraceMs?: number;
  /** Give up after this long without a partner (default: wait for the relay's own timeout). */
  readonly timeoutMs?: number;
}

/**
 * Drives a sender or receiver core over a connection to the relay's handshake port until the
 * handshake is done, then closes it (the relay closes it too).
 */
export async function runHandshake(
  socket: Socket,
  core: BobServer | BobClient,
  options: HandshakeOptions = {},
): Promise<HandshakeResult> {
  const reader = new SocketReader(socket);
  const isClient = core instanceof BobClient;
  const grace = options.wrongPasswordGraceMs ?? DEFAULT_WRONG_PASSWORD_GRACE_MS;
  let mismatches = 0;
  let refusedByUs: string | undefined;
  let deadline: number | undefined;
  const overall = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;

  const handle = async (events: PeerEvent[]): Promise<HandshakeResult | undefined> => {
    for (const e of events) {
      switch (e.type) {
        case 'send':
          await writeAll(socket, e.bytes);
          break;
        case 'identity':
          options.onNotice?.({ type: 'identity', identity: e.identity });
          break;
        case 'candidate':
          deadline = undefined;
          break;
        case 'candidate-failed':
          options.onNotice?.({ type: 'attempt-failed', identity: e.identity, failure: e.failure });
          if (
            e.failure === SpokeFailure.InvalidClientValidator ||
            e.failure === SpokeFailure.InvalidServerValidator
          ) {
            mismatches++;
          }
          break;
        case 'agreement': {
          const client = core as BobClient;
          const yes = options.accept ? await options.accept(e.identity) : true;
          if (!yes) refusedByUs = e.identity;
          const r = await handle(yes ? client.accept(e.uid) : client.refuse(e.uid));
          if (r) return r;
          break;
        }
        case 'refused':
          throw new BobError('REFUSED', `the receiver (${e.identity}) refused the transfer`);
        case 'done':
          options.onNotice?.({ type: 'paired', peerIdentity: e.result.peerIdentity });
          return e.result;
        case 'closed':
          throw e.reason === 'timeout'
            ? new BobError(
                'RELAY_TIMEOUT',
                'the relay timed out the connection: no partner came in time',
              )
            : new BobError('RELAY_CLOSED', 'the relay closed the connection');
        default:
          break;
      }
    }
    if (isClient && core.candidates === 0) {
      if (refusedByUs !== undefined) {
        throw new BobError('REFUSED', `you refused the transfer from ${refusedByUs}`);
      }
      if (mismatches > 0 && deadline === undefined) deadline = Date.now() + grace;
    }
    return undefined;
  };

  const onAbort = () => socket.destroy(aborted());
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let pendingRead: Promise<Uint8Array | null> | undefined;
  try {
    let result = await handle(core.start());
    while (!result) {
      if (options.signal?.aborted) throw aborted();
      pendingRead ??= reader.read();
      const wait =
        Math.min(deadline ?? Number.POSITIVE_INFINITY, overall ?? Number.POSITIVE_INFINITY) -
        Date.now();
      const chunk = await raceTimeout(pendingRead, wait);
      if (chunk === TIMEOUT) {
        // The earlier of the two deadlines fired (compared, not re-read from the clock: a timer
        // may wake a millisecond before Date.now() reaches it).
        if (deadline !== undefined && (overall === undefined || deadline <= overall)) {
          throw new BobError(
            'WRONG_PASSWORD',
            `wrong password: ${mismatches === 1 ? 'the sender' : `all ${mismatches} senders`} on the relay rejected it`,
          );
        }
        throw new BobError('RELAY_TIMEOUT', 'no partner completed the handshake in time');
      }
      pendingRead = undefined;
      if (chunk === null) {
        throw new BobError(
          'RELAY_CLOSED',
          'the relay closed the connection before the handshake finished',
        );
      }
      result = await handle(core.receive(chunk));
    }
    return result;
  } catch (error) {
    if (options.signal?.aborted) throw aborted();
    if (error instanceof BobError && error.code === 'CONNECTION_FAILED' && socket.destroyed) {
      throw new BobError(
        'RELAY_CLOSED',
        'the relay closed the connection before the handshake finished',
        {
          cause: error,
        },
      );
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    // A read still pending when we give up rejects once the socket is destroyed: nobody waits.
    pendingRead?.catch(() => {});
    socket.destroy();
  }
}

const TIMEOUT = Symbol('timeout');

function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  if (!Number.isFinite(ms)) return promise;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(TIMEOUT), Math.max(0, ms));
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * Joins the relay's secure room: writes the partner's identity and `\n`, waits for `00`. Returns
 * the connection and a reader holding any bytes that came with the answer.
 */
export async function openSecureRoom(
  host: string,
  port: number,
  partnerIdentity: string,
  signal?: AbortSignal,
  borrowReads?: { readonly bufferBytes?: number; readonly queueBytes?: number },
): Promise<{ socket: Socket; reader: ChunkReader }> {
  let reader: ChunkReader;
  if (borrowReads) reader = await BorrowedReader.connect(host, port, signal, borrowReads);
  else reader = new SocketReader(await connectBobTcp(host, port, signal));
  const socket = reader.socket;
  const line = new Uint8Array(partnerIdentity.length + 1);
  line.set(identityBytes(partnerIdentity), 0);
  line[partnerIdentity.length] = 0x0a;
  try {
    await writeAll(socket, line);
    const answer = await reader.readExactly(2);
    const text = answer ? String.fromCharCode(answer[0]!, answer[1]!) : 'EOF';
    if (text === '00') return { socket, reader };
    throw new BobError(
      'SECURE_ROOM_REFUSED',
      text === '01'
        ? 'the relay secure room timed out before we identified'
        : text === '02'
          ? 'the relay secure room does not know this pairing (or refused our address)'
          : text === 'EOF'
            ? 'the relay secure room closed the connection: the partner did not come'
            : `unexpected answer ${JSON.stringify(text)} from the relay secure room`,
    );
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

/** A partner found through the relay: the handshake's result and the piped secure-room socket. */
export interface Pairing {
  readonly result: HandshakeResult;
  readonly socket: Socket;
  readonly reader: ChunkReader;
  /** Stops destroying `socket` when the signal aborts (call when the transfer is over). */
  release(): void;
}

/**
 * The two steps every transfer starts with: the handshake on the relay's handshake port, then
 * the secure room on `securePort` of the same relay (at the address the handshake reached).
 * Until `release()`, aborting `options.signal` destroys the secure-room socket.
 */
export async function pairThroughRelay(
  core: BobServer | BobClient,
  relay: { readonly host: string; readonly port: number; readonly securePort: number },
  options: HandshakeOptions & {
    /**
     * Read the secure room through one reused buffer ({@link BorrowedReader}): only for a
     * consumer that uses each chunk before it awaits anything.
     */
    readonly borrowReads?: { readonly bufferBytes?: number; readonly queueBytes?: number };
  } = {},
): Promise<Pairing> {
  const signal = options.signal;
  const handshakeSocket = await connectBobTcp(relay.host, relay.port, signal);
  const relayAddress = handshakeSocket.remoteAddress ?? relay.host;
  const result = await runHandshake(handshakeSocket, core, options);
  const { socket, reader } = await openSecureRoom(
    relayAddress,
    relay.securePort,
    result.peerIdentity,
    signal,
    options.borrowReads,
  );
  const onAbort = () => socket.destroy(aborted());
  signal?.addEventListener('abort', onAbort, { once: true });
  return { result, socket, reader, release: () => signal?.removeEventListener('abort', onAbort) };
}
