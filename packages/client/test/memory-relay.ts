// A relay core reached through in-memory links (no sockets), for fast client tests and benches.
import { Relay, type RelayOptions } from '@peerwire/relay';
import type { ClientLink, Dialer } from '../src/index.js';

export interface MemoryRelay {
  relay: Relay;
  dial: Dialer;
  /** Closes every link, as a relay that goes away. */
  dropAll(): void;
}

export async function memoryRelay(options: Partial<RelayOptions> = {}): Promise<MemoryRelay> {
  const relay = new Relay({ serverCode: 'mem', ...options });
  await relay.start();
  const closers = new Set<() => void>();
  const dial: Dialer = async () => {
    const onMessage: ((d: Uint8Array) => void)[] = [];
    const onClose: ((i: { code: number; reason: string }) => void)[] = [];
    const held: Uint8Array[] = [];
    let open = true;
    const closeBoth = (code: number, reason: string) => {
      if (!open) return;
      open = false;
      closers.delete(drop);
      session?.closed({ code, reason, local: false });
      queueMicrotask(() => {
        for (const h of onClose) h({ code, reason });
      });
    };
    const drop = () => closeBoth(1001, 'relay went away');
    const session = relay.accept(
      {
        bufferedAmount: 0,
        send: (p: Uint8Array) => {
          if (!open) return;
          const copy = p.slice();
          if (onMessage.length === 0) held.push(copy);
          else
            queueMicrotask(() => {
              for (const h of onMessage) h(copy);
            });
        },
        close: (code: number, reason: string) => closeBoth(code, reason),
      },
      '127.0.0.1',
    );
    closers.add(drop);
    const link: ClientLink = {
      bufferedAmount: 0,
      send: (data: Uint8Array) => {
        if (open) queueMicrotask(() => session?.receive(data));
      },
      close: (code = 1000, reason = '') => closeBoth(code, reason),
      on: ((event: 'message' | 'close', h: never) => {
        if (event === 'close') onClose.push(h);
        else {
          onMessage.push(h);
          for (const p of held.splice(0)) {
            queueMicrotask(() => {
              for (const f of onMessage) f(p);
            });
          }
        }
        return () => {};
      }) as ClientLink['on'],
    };
    return link;
  };
  return {
    relay,
    dial,
    dropAll: () => {
      for (const c of [...closers]) c();
    },
  };
}
