// Helpers for the natbase NAT-lab tests: processes running test/lab/fixtures/node.mjs.
import { fileURLToPath } from 'node:url';
import { toHex } from '@peerwire/wire';
import type { Lab, LabProcess } from '../../../../tooling/netlab/index.js';
import { formatDeviceId } from '../../src/index.js';
import { testIdentity } from '../helpers.js';

export const FIXTURE = fileURLToPath(new URL('./fixtures/node.mjs', import.meta.url));
export const BASE_PORT = 5443;

export type Ev = { ev: string; [k: string]: unknown };
export interface PeerState {
  deviceId: string;
  path: string;
  target?: string;
  rttMs?: number;
}
export interface HostState extends Ev {
  base: string | null;
  baseUdp: boolean;
  peers: PeerState[];
}

/** Sends a command; resolves with the first later event named `ev` (an `error` event rejects). */
export const request = <T extends Ev>(
  p: LabProcess,
  command: object,
  ev: string,
  timeoutMs = 15_000,
) => p.request<T>(command, ev, { timeoutMs });

/** Short timers so that a lab run takes seconds; every value is a configurable limit. */
export const FAST_HOST_LIMITS = {
  refreshIntervalMs: 3_000,
  natInitRetryMs: 500,
  baseReconnectBackoffMs: 500,
  baseLivenessTimeoutMs: 4_000,
  baseHelloTimeoutMs: 4_000,
  udpBaseAliveMs: 4_000,
};
export const FAST_BASE_LIMITS = { keepaliveIntervalMs: 1_000, udpConfirmedTtlMs: 4_000 };

export async function startBase(lab: Lab, node: string): Promise<LabProcess> {
  const p = lab.spawnNode(node, [FIXTURE]);
  await p.waitForJson<Ev>((e) => e.ev === 'ready');
  const address = lab.address(node);
  await request(
    p,
    {
      op: 'base',
      tcp: { host: address, port: BASE_PORT },
      udp: [{ host: address, port: BASE_PORT }],
      limits: FAST_BASE_LIMITS,
    },
    'listening',
  );
  return p;
}

export interface LabHost {
  readonly proc: LabProcess;
  readonly deviceId: string;
}

export async function startHost(
  lab: Lab,
  node: string,
  seed: number,
  bases: readonly string[],
  extra: object = {},
): Promise<LabHost> {
  const p = lab.spawnNode(node, [FIXTURE]);
  await p.waitForJson<Ev>((e) => e.ev === 'ready');
  const identity = testIdentity(seed);
  await request(
    p,
    {
      op: 'host',
      secretKey: toHex(identity.secretKey),
      bases: bases.map((b) => `${lab.address(b)}:${BASE_PORT}`),
      local: 'auto',
      limits: FAST_HOST_LIMITS,
      ...extra,
    },
    'up',
  );
  return { proc: p, deviceId: formatDeviceId(identity.deviceId) };
}

export const state = (h: LabHost) => request<HostState>(h.proc, { op: 'state' }, 'state');
export const baseStats = (p: LabProcess) =>
  request<
    Ev & { relayedUdp: number; relayedTcp: number; devicesConnected: number; addressPushes: number }
  >(p, { op: 'stats' }, 'stats');

export async function until<T>(
  get: () => Promise<T>,
  check: (v: T) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (check(v)) return v;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const pathTo = (s: HostState, id: string) => s.peers.find((p) => p.deviceId === id);

/** Sends `text` from `a` to `b` and waits for b to get it; returns the datagram event. */
export async function deliver(
  a: LabHost,
  b: LabHost,
  text: string,
  timeoutMs = 15_000,
): Promise<Ev> {
  const from = b.proc.mark();
  await request(a.proc, { op: 'send', to: b.deviceId, text }, 'sent');
  return b.proc.waitForJson<Ev>((e) => e.ev === 'datagram' && e.text === text, { from, timeoutMs });
}
