import { z } from 'zod';
import { ClientError } from './errors.js';

const DiscoveryResponse = z.object({
  result: z.literal('success'),
  data: z.object({
    hosts: z.array(z.string().min(1)).min(1),
    min_conn: z.number().int().nonnegative().optional(),
  }),
});

export interface DiscoveredRelays {
  /** WebSocket URLs, at most 10 (as spotlib). */
  readonly urls: string[];
  /** Connections to keep; the host count when the response says 0. */
  readonly minConnections: number;
}

/**
 * Asks a discovery endpoint (`GET <base>/_special/rest/Spot:connect`) for relay hosts, as
 * spotlib does, and turns them into WebSocket URLs: `wss://<host>/_websocket` for an https base,
 * `ws://<host>/_websocket` for an http one.
 */
export async function discoverRelays(
  base: string,
  fetchImpl: typeof fetch = globalThis.fetch,
): Promise<DiscoveredRelays> {
  const url = `${base.replace(/\/+$/, '')}/_special/rest/Spot:connect?_=null`;
  const failed = (why: string, cause?: unknown) =>
    new ClientError('DISCOVERY_FAILED', `relay discovery at ${url} failed: ${why}`, { cause });
  let res: Response;
  try {
    res = await fetchImpl(url, { headers: { 'Sec-Rest-Http': 'false' } });
  } catch (cause) {
    throw failed((cause as Error).message, cause);
  }
  if (!res.ok) throw failed(`HTTP ${res.status}`);
  let body: unknown;
  try {
    body = await res.json();
  } catch (cause) {
    throw failed((cause as Error).message, cause);
  }
  const parsed = DiscoveryResponse.safeParse(body);
  if (!parsed.success) {
    throw new ClientError(
      'DISCOVERY_FAILED',
      `relay discovery at ${url} returned an unexpected body`,
    );
  }
  const scheme = base.startsWith('http://') ? 'ws' : 'wss';
  const hosts = parsed.data.data.hosts.slice(0, 10);
  const min = parsed.data.data.min_conn ?? 0;
  return {
    urls: hosts.map((h) => `${scheme}://${h}/_websocket`),
    minConnections: min === 0 ? hosts.length : Math.min(min, hosts.length),
  };
}
