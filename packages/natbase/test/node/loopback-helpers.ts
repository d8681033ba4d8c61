// Loopback helpers for the node tests: a base on 127.0.0.1 and host agents against it.
import { type BaseServerEvent, formatIp, type Identity, parseEndpoint } from '../../src/index.js';
import {
  type BaseServerHandle,
  listenBaseServer,
  NatbaseHost,
  type StartHostOptions,
} from '../../src/node/index.js';

export async function loopbackBase(
  limits: Parameters<typeof listenBaseServer>[0]['limits'] = {},
  events: BaseServerEvent[] = [],
): Promise<BaseServerHandle> {
  return listenBaseServer({
    tcp: { host: '127.0.0.1', port: 0 },
    udp: [{ host: '127.0.0.1', port: 0 }],
    limits,
    onEvent: (e) => events.push(e),
  });
}

export async function loopbackHost(
  base: BaseServerHandle,
  identity: Identity,
  extra: Partial<StartHostOptions> = {},
): Promise<NatbaseHost> {
  return NatbaseHost.start({
    identity,
    bases: [parseEndpoint(`127.0.0.1:${base.tcpPort}`)],
    udp: { host: '127.0.0.1', port: 0 },
    localAddresses: [],
    multicast: false,
    ...extra,
  });
}

/** Polls `check` every 20 ms until it holds; throws with `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const text = (s: string) => new TextEncoder().encode(s);
export const untext = (b: Uint8Array) => new TextDecoder().decode(b);
export const hex = (id: Uint8Array) => formatIp(id);
