// A hand-driven TCP neighbour for hostile tests: writes any bytes, reads frames with the codec.
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { utf8Decode, utf8Encode } from '@peerwire/wire';
import { encodeFrame, PtpchatFramer } from '../src/index.js';

export class RawClient {
  readonly frames: Record<string, unknown>[] = [];
  readonly closed: Promise<void>;
  readonly #framer = new PtpchatFramer(1 << 24);

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      for (const f of this.#framer.push(chunk)) this.frames.push(JSON.parse(utf8Decode(f)));
    });
    this.closed = new Promise((done) => socket.on('close', () => done()));
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes `json` framed; returns what `socket.write` returned. */
  send(json: object | string): boolean {
    const text = typeof json === 'string' ? json : JSON.stringify(json);
    return this.socket.write(encodeFrame(utf8Encode(text), 1 << 24));
  }

  sendRaw(bytes: Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  /** Says HELLO as `nodeId`. */
  hello(nodeId: string): void {
    this.send(envelope('HELLO', { node_id: nodeId, version: 'raw' }, nodeId, { ttl: 1 }));
  }

  /** Messages received of one verb. */
  of(verb: string): Record<string, unknown>[] {
    return this.frames.filter((f) => f.msg_type === verb);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function envelope(
  verb: string,
  data: unknown,
  sender: string,
  o: { ttl?: number; flood?: boolean; target?: string | null; id?: string } = {},
): Record<string, unknown> {
  return {
    msg_type: verb,
    msg_data: data,
    ttl: o.ttl ?? 32,
    flood: o.flood ?? false,
    sender_id: sender,
    target_id: o.target ?? null,
    msg_id: o.id ?? randomUUID(),
  };
}

/** A flooded MESSAGE for a channel nobody joined, `bytes` of junk text: forwarded, never read. */
export function junkFlood(
  sender: string,
  bytes: number,
  channelId: string,
): Record<string, unknown> {
  return envelope(
    'MESSAGE',
    {
      node_id: sender,
      channel: 'junk',
      channel_id: channelId,
      timestamp: new Date().toISOString(),
      message: Buffer.alloc(bytes, 0x41).toString('base64'),
    },
    sender,
    { flood: true },
  );
}
