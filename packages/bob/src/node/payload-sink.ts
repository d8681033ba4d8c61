import type { PayloadEvent } from '../payload-reader.js';
import type { ReceiveOptions, ReceiveResult } from './receive.js';

/** What a sink saved: the result without the handshake's and the trailer's parts. */
export type Saved = Omit<ReceiveResult, 'peerIdentity' | 'checksum'>;

/**
 * Where a receiver writes one kind of payload: everything goes to temporary names first and is
 * moved into place only by `commit`, after the PACK trailer checked out; `abort` removes it.
 */
export interface PayloadSink<E extends PayloadEvent> {
  readonly kind: ReceiveResult['kind'];
  handle(event: E): Promise<void>;
  commit(): Promise<Saved>;
  abort(): Promise<void>;
}

/** The receive options a sink reads. */
export type SinkOptions = Pick<ReceiveOptions, 'force' | 'onEvent' | 'limits'>;
