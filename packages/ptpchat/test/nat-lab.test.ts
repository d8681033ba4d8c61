// Hole punching through real NATs (issue 11 "Proof"): a rendezvous node on the lab's public
// segment, peers behind their own NATs, each a real process (test/fixtures/peer.mjs on the built
// package) in its own network namespace. Needs root, ip and nft: without them createLab throws
// and this file fails; it is never skipped.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLab,
  type Lab,
  type LabProcess,
  listNamespaces,
} from '../../../tooling/netlab/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/peer.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/node/index.js', import.meta.url));

type Ev = { ev: string; [k: string]: unknown };
interface State extends Ev {
  neighbours: { nodeId: string; direct: boolean; transport: string }[];
  paths: Record<string, string>;
  channels: { channelId: string; members: string[]; hasKey: boolean }[];
  counts: Record<string, number>;
}
interface Peer {
  readonly proc: LabProcess;
  readonly nodeId: string;
  readonly tcpPort: number;
  readonly udpPort: number;
}

/** Sends a command; resolves with the first later event named `ev` (an `error` event rejects). */
const request = <T extends Ev>(p: LabProcess, command: object, ev: string, timeoutMs = 10_000) =>
  p.request<T>(command, ev, { timeoutMs });

const state = (p: Peer) => request<State>(p.proc, { op: 'state' }, 'state');

async function until(
  p: Peer,
  check: (s: State) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<State> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await state(p);
    if (check(s)) return s;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; last state ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The first `out` event of `type` (at or after `from`) that `match` accepts. */
function event(
  p: Peer,
  type: string,
  match: (e: Ev) => boolean,
  from = 0,
  timeoutMs = 20_000,
): Promise<Ev> {
  return p.proc.waitForJson<Ev>((e) => e.ev === 'out' && e.type === type && match(e), {
    from,
    timeoutMs,
  });
}

describe('CONNECT through real NATs (netlab)', () => {
  let lab: Lab;
  let rv: Peer;
  const peers = new Map<string, Peer>();

  async function start(node: string, command: object): Promise<Peer> {
    const proc = lab.spawnNode(node, [FIXTURE]);
    await proc.waitForJson<Ev>((e) => e.ev === 'ready');
    const s = await request<Ev>(proc, { op: 'start', ...command }, 'started');
    return {
      proc,
      nodeId: s.nodeId as string,
      tcpPort: s.tcpPort as number,
      udpPort: s.udpPort as number,
    };
  }

  /** Both peers neighbours of rv, routes both ways, and a closed channel both hold the key of. */
  async function pair(a: Peer, b: Peer): Promise<string> {
    for (const p of [a, b])
      await request(p.proc, { op: 'dial', host: lab.address('rv'), port: rv.tcpPort }, 'dialled');
    await until(a, (s) => s.paths[b.nodeId] === 'relayed', 'a route a -> b');
    await until(b, (s) => s.paths[a.nodeId] === 'relayed', 'a route b -> a');
    const { channelId } = await request<Ev & { channelId: string }>(
      a.proc,
      { op: 'create', name: 'pair', closed: true },
      'created',
    );
    a.proc.send({ op: 'invite', channelId, nodeId: b.nodeId });
    await event(b, 'key', (e) => e.channelId === channelId);
    b.proc.send({ op: 'join', channelId });
    await until(
      a,
      (s) => s.channels.some((c) => c.channelId === channelId && c.members.includes(b.nodeId)),
      'b a member at a',
    );
    return channelId;
  }

  const relayedMessages = async () => (await state(rv)).counts['tcp-sent:MESSAGE'] ?? 0;

  beforeAll(async () => {
    if (!existsSync(DIST))
      throw new Error(`${DIST} is missing: build first (npx tsc -b tooling/tsconfig.json)`);
    lab = await createLab({
      public: ['rv'],
      nats: [
        { name: 'a', kind: 'eim' },
        { name: 'b', kind: 'eim' },
        { name: 'c', kind: 'symmetric' },
        { name: 'd', kind: 'symmetric' },
      ],
    });
    rv = await start('rv', { name: 'rendezvous', listen: { port: 0 }, nodeType: 'server' });
    const limits = { connectTimeoutMs: 5000 };
    for (const host of ['a1', 'b1', 'c1', 'd1'])
      peers.set(host, await start(host, { name: host, limits }));
  });

  afterAll(async () => {
    const id = lab?.id;
    await lab?.close();
    if (id !== undefined)
      expect((await listNamespaces()).filter((n) => n.startsWith(id))).toEqual([]);
  });

  it('endpoint-independent NATs: CONNECT ends direct and messages flow over the punched path', async () => {
    const a = peers.get('a1')!;
    const b = peers.get('b1')!;
    const channelId = await pair(a, b);

    const fromA = a.proc.mark();
    const fromB = b.proc.mark();
    a.proc.send({ op: 'connect', nodeId: b.nodeId });
    const done = await event(
      a,
      'connect',
      (e) => e.state === 'direct' || e.state === 'failed',
      fromA,
    );
    expect(done).toMatchObject({ role: 'initiator', state: 'direct' });
    // The address is b's NAT mapping, as the rendezvous node observed it: never b's private one.
    expect(done.address).toMatch(
      new RegExp(`^${lab.publicAddress('b1').replaceAll('.', '\\.')}:\\d+$`),
    );
    expect(await event(b, 'connect', (e) => e.state === 'direct', fromB)).toMatchObject({
      role: 'responder',
    });
    await until(a, (s) => s.paths[b.nodeId] === 'direct', 'a sees a direct path');
    await until(b, (s) => s.paths[a.nodeId] === 'direct', 'b sees a direct path');

    // Cut both peers' TCP to the rendezvous node: what arrives now did not go through it.
    const before = await relayedMessages();
    const blocks = [
      await lab.block({ from: 'a1', to: 'rv', protocol: 'tcp' }),
      await lab.block({ from: 'b1', to: 'rv', protocol: 'tcp' }),
    ];
    try {
      const mark = b.proc.mark();
      await request(a.proc, { op: 'send', channelId, text: 'a to b, direct' }, 'sent');
      await event(b, 'message', (e) => e.text === 'a to b, direct', mark, 5000);
      const back = a.proc.mark();
      await request(b.proc, { op: 'send', channelId, text: 'b to a, direct' }, 'sent');
      await event(a, 'message', (e) => e.text === 'b to a, direct', back, 5000);
      expect((await state(a)).counts['udp-sent:MESSAGE']).toBe(1);
      expect((await state(b)).counts['udp-sent:MESSAGE']).toBe(1);
      // The blocks did bite: the peers' HELLOs (every 2 s) to rv were dropped meanwhile.
      await new Promise((r) => setTimeout(r, 2100));
      for (const block of blocks) expect(await block.dropped()).toBeGreaterThan(0);
    } finally {
      for (const block of blocks) await block.remove();
    }
    expect(await relayedMessages()).toBe(before);
  });

  it('symmetric NATs: CONNECT fails cleanly and messages stay relayed', async () => {
    const c = peers.get('c1')!;
    const d = peers.get('d1')!;
    const channelId = await pair(c, d);

    const fromC = c.proc.mark();
    c.proc.send({ op: 'connect', nodeId: d.nodeId });
    const done = await event(
      c,
      'connect',
      (e) => e.state === 'direct' || e.state === 'failed',
      fromC,
    );
    expect(done).toMatchObject({ role: 'initiator', state: 'failed' });
    const s = await state(c);
    expect(s.paths[d.nodeId]).toBe('relayed');
    expect(s.neighbours.filter((n) => n.direct)).toEqual([]);

    const before = await relayedMessages();
    const mark = d.proc.mark();
    await request(c.proc, { op: 'send', channelId, text: 'c to d, relayed' }, 'sent');
    await event(d, 'message', (e) => e.text === 'c to d, relayed', mark, 5000);
    expect((await state(c)).counts['udp-sent:MESSAGE'] ?? 0).toBe(0);
    expect(await relayedMessages()).toBe(before + 1);
    // Both peers still have their rendezvous link.
    for (const p of [c, d]) {
      expect((await state(p)).neighbours.map((n) => n.nodeId)).toEqual([rv.nodeId]);
    }
  });
});
