// The UDP agent fixture, driven from the tests.
import { fileURLToPath } from 'node:url';
import type { Lab, LabProcess } from '../index.js';

export const AGENT = fileURLToPath(new URL('./fixtures/agent.mjs', import.meta.url));

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

interface MessageEvent {
  ev: string;
  id?: string;
  from?: string;
  port?: number;
  data?: string;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startAgent(lab: Lab, node: string): Promise<LabProcess> {
  const agent = lab.spawnNode(node, AGENT);
  await agent.waitForLine('"ready"');
  return agent;
}

export async function bindUdp(
  agent: LabProcess,
  id: string,
  options: { port?: number; reflect?: boolean } = {},
): Promise<number> {
  const from = agent.mark();
  agent.send({ op: 'bind', id, port: options.port ?? 0, reflect: options.reflect ?? false });
  const bound = await agent.waitForJson<MessageEvent>((e) => e.ev === 'bound' && e.id === id, {
    from,
  });
  return bound.port!;
}

export function sendUdp(agent: LabProcess, id: string, to: Endpoint, data: string): void {
  agent.send({ op: 'send', id, host: to.address, port: to.port, data });
}

/** Messages `agent` received on socket `id` (optionally only with this payload). */
export function received(agent: LabProcess, id: string, data?: string): MessageEvent[] {
  return (agent.events as MessageEvent[]).filter(
    (e) => e.ev === 'message' && e.id === id && (data === undefined || e.data === data),
  );
}

/** Asks a reflector what public endpoint `agent`'s socket `id` has toward it. */
export async function reflect(
  agent: LabProcess,
  id: string,
  reflector: Endpoint,
  timeoutMs = 3_000,
): Promise<Endpoint> {
  const from = agent.mark();
  const reply = agent.waitForJson<MessageEvent>(
    (e) =>
      e.ev === 'message' &&
      e.id === id &&
      e.from === reflector.address &&
      e.port === reflector.port,
    { from, timeoutMs },
  );
  sendUdp(agent, id, reflector, 'probe');
  const seen = JSON.parse((await reply).data!) as { from: string; port: number };
  return { address: seen.from, port: seen.port };
}
