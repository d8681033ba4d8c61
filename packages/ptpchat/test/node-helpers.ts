// Real nodes on loopback for the adapter tests: each collects its outputs and link events.
import { randomBytes } from 'node:crypto';
import {
  createIdentity,
  createNodeId,
  type PtpchatEvent,
  type PtpchatLimits,
  type PtpchatOutput,
} from '../src/index.js';
import {
  type PtpchatLinkEvent,
  type PtpchatNodeIoLimits,
  type RunningPtpchatNode,
  type StartPtpchatNodeOptions,
  startPtpchatNode,
} from '../src/node/index.js';

export interface TestNode extends RunningPtpchatNode {
  readonly outputs: PtpchatOutput[];
  readonly links: PtpchatLinkEvent[];
  events<T extends PtpchatEvent['type']>(type: T): Extract<PtpchatEvent, { type: T }>[];
}

const random = (n: number) => new Uint8Array(randomBytes(n));

export async function startTestNode(
  name: string,
  options: {
    listen?: StartPtpchatNodeOptions['listen'];
    /** `'default'`: the adapter's default (dual-stack, free port); omitted: no UDP. */
    udp?: StartPtpchatNodeOptions['udp'] | 'default';
    limits?: Partial<PtpchatLimits>;
    io?: Partial<PtpchatNodeIoLimits>;
    nodeType?: 'client' | 'server';
  } = {},
): Promise<TestNode> {
  const nodeId = createNodeId(name, random);
  const outputs: PtpchatOutput[] = [];
  const links: PtpchatLinkEvent[] = [];
  const running = await startPtpchatNode({
    nodeId,
    identity: await createIdentity(nodeId),
    listen: options.listen ?? false,
    ...(options.udp === 'default' ? {} : { udp: options.udp ?? false }),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.io ? { io: options.io } : {}),
    ...(options.nodeType ? { nodeType: options.nodeType } : {}),
    onOutput: (o) => outputs.push(o),
    onLink: (e) => links.push(e),
  });
  return Object.assign(running, {
    outputs,
    links,
    events<T extends PtpchatEvent['type']>(type: T) {
      return outputs.filter((o) => o.type === type) as Extract<PtpchatEvent, { type: T }>[];
    },
  }) as TestNode;
}

/** Polls `check` until it returns a truthy value (or `timeoutMs` passes: then it throws). */
export async function until<T>(
  check: () => T | undefined | false | null,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Both sides see each other as a neighbour. */
export async function linked(a: TestNode, b: TestNode): Promise<void> {
  await until(
    () =>
      a.node.neighbours().some((n) => n.nodeId === b.node.nodeId) &&
      b.node.neighbours().some((n) => n.nodeId === a.node.nodeId),
    `${a.node.nodeId} <-> ${b.node.nodeId}`,
  );
}
