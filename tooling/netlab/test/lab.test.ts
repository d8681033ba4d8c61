import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRejectsCode, expectThrowsCode } from '../../test-helpers.js';
import {
  checkLabPrerequisites,
  createLab,
  type Lab,
  type LabProcess,
  NetlabError,
  sweepStale,
} from '../index.js';
import {
  bindUdp,
  type Endpoint,
  received,
  reflect,
  sendUdp,
  sleep,
  startAgent,
} from './helpers.js';

const REFLECT_PORT = 4000;

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** Both sides send to each other's learned endpoint every 100 ms, up to `tries` times. */
async function punch(
  a: LabProcess,
  aTarget: Endpoint,
  b: LabProcess,
  bTarget: Endpoint,
  tries: number,
): Promise<void> {
  for (let i = 0; i < tries; i++) {
    sendUdp(a, 'u', aTarget, 'punch');
    sendUdp(b, 'u', bTarget, 'punch');
    await sleep(100);
    if (received(a, 'u', 'punch').length > 0 && received(b, 'u', 'punch').length > 0) return;
  }
}

describe('a NAT lab', () => {
  let lab: Lab;
  const agents = new Map<string, LabProcess>();
  const agent = (name: string): LabProcess => agents.get(name)!;
  const reflectorOf = (node: string, port = REFLECT_PORT): Endpoint => ({
    address: lab.address(node),
    port,
  });

  beforeAll(async () => {
    lab = await createLab({
      public: ['s1', 's2'],
      nats: [
        { name: 'a', kind: 'eim', hosts: 2 },
        { name: 'b', kind: 'eim' },
        { name: 'c', kind: 'symmetric' },
        { name: 'd', kind: 'symmetric' },
      ],
    });
    for (const name of ['s1', 's2', 'a1', 'a2', 'b1', 'c1', 'd1']) {
      agents.set(name, await startAgent(lab, name));
    }
    for (const port of [REFLECT_PORT, REFLECT_PORT + 1, REFLECT_PORT + 2]) {
      await bindUdp(agent('s1'), `r${port}`, { port, reflect: true });
    }
    await bindUdp(agent('s2'), 'r', { port: REFLECT_PORT, reflect: true });
    for (const host of ['a1', 'a2', 'b1', 'c1', 'd1']) await bindUdp(agent(host), 'u');
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('lays nodes out on the address plan', () => {
    expect(lab.node('s1')).toMatchObject({ kind: 'public', address: '203.0.113.10' });
    expect(lab.node('a')).toMatchObject({
      kind: 'nat',
      address: '203.0.113.100',
      hosts: ['a1', 'a2'],
    });
    expect(lab.node('a2')).toMatchObject({
      kind: 'host',
      nat: 'a',
      address: '10.0.1.11',
      publicAddress: '203.0.113.100',
    });
    expect(lab.node('c1').ns).toBe(`${lab.id}-c1`);
    expectThrowsCode(() => lab.node('zz'), NetlabError, 'NETLAB_UNKNOWN_NODE');
  });

  it('(a) EIM NAT: one socket keeps one public address:port toward two destinations', async () => {
    const toS1 = await reflect(agent('a1'), 'u', reflectorOf('s1'));
    const toS2 = await reflect(agent('a1'), 'u', reflectorOf('s2'));
    expect(toS1.address).toBe(lab.publicAddress('a1'));
    expect(toS2).toEqual(toS1);
  });

  it('(b) symmetric NAT: a fresh public port per destination', async () => {
    const seen: Endpoint[] = [];
    for (const port of [REFLECT_PORT, REFLECT_PORT + 1, REFLECT_PORT + 2]) {
      seen.push(await reflect(agent('c1'), 'u', reflectorOf('s1', port)));
    }
    seen.push(await reflect(agent('c1'), 'u', reflectorOf('s2')));
    for (const endpoint of seen) expect(endpoint.address).toBe(lab.publicAddress('c1'));
    // Four random ports out of ~64k: a repeat is possible but all four equal never is.
    expect(new Set(seen.map((e) => e.port)).size).toBeGreaterThan(1);
  });

  it('(c) two hosts behind two EIM NATs punch a direct UDP path', async () => {
    const a = agent('a1');
    const b = agent('b1');
    const aPublic = await reflect(a, 'u', reflectorOf('s1'));
    const bPublic = await reflect(b, 'u', reflectorOf('s1'));
    await punch(a, bPublic, b, aPublic, 30);
    const atA = received(a, 'u', 'punch');
    const atB = received(b, 'u', 'punch');
    expect(atA.length).toBeGreaterThan(0);
    expect(atB.length).toBeGreaterThan(0);
    expect({ address: atA[0]!.from, port: atA[0]!.port }).toEqual(bPublic);
    expect({ address: atB[0]!.from, port: atB[0]!.port }).toEqual(aPublic);
  });

  it.each([
    ['EIM and symmetric', 'b1', 'c1'],
    ['symmetric and symmetric', 'c1', 'd1'],
  ])('(d) %s: the punch fails', async (_, left, right) => {
    const a = agent(left);
    const b = agent(right);
    const before = [received(a, 'u', 'punch').length, received(b, 'u', 'punch').length];
    const aPublic = await reflect(a, 'u', reflectorOf('s1'));
    const bPublic = await reflect(b, 'u', reflectorOf('s1'));
    await punch(a, bPublic, b, aPublic, 15);
    await sleep(300);
    expect([received(a, 'u', 'punch').length, received(b, 'u', 'punch').length]).toEqual(before);
  });

  it('(e) a UDP block drops a host\u2019s UDP to one address while TCP and its neighbour pass', async () => {
    const a2 = agent('a2');
    const s1 = reflectorOf('s1');
    await reflect(a2, 'u', s1); // works before the block
    const from = agent('s1').mark();
    agent('s1').send({ op: 'tcp-listen', port: 5000 });
    await agent('s1').waitForJson((e: { ev: string }) => e.ev === 'tcp-listening', { from });

    const block = await lab.blockUdp('a2', 's1');
    try {
      await expectRejectsCode(() => reflect(a2, 'u', s1, 700), NetlabError, 'NETLAB_TIMEOUT');
      expect(await block.dropped()).toBeGreaterThan(0);
      await reflect(a2, 'u', reflectorOf('s2')); // other destinations still pass
      await reflect(agent('a1'), 'u', s1); // so does the other host behind the same NAT
      const tcpFrom = a2.mark();
      a2.send({ op: 'tcp-connect', host: s1.address, port: 5000 });
      const tcp = await a2.waitForJson((e: { ev: string }) => e.ev.startsWith('tcp-'), {
        from: tcpFrom,
      });
      expect(tcp.ev).toBe('tcp-connected');
    } finally {
      await block.remove();
    }
    await reflect(a2, 'u', s1);
  });

  it('(f) multicast reaches the other host on the same segment, and only that segment', async () => {
    const group = '239.255.42.1';
    const port = 5353;
    for (const name of ['a1', 'a2', 'b1']) {
      await bindUdp(agent(name), 'm', { port });
      const from = agent(name).mark();
      agent(name).send({ op: 'join', id: 'm', group });
      await agent(name).waitForJson((e: { ev: string }) => e.ev === 'joined', { from });
    }
    const heard = agent('a2').waitForJson(
      (e: { ev: string; id?: string; from?: string; data?: string }) =>
        e.ev === 'message' && e.id === 'm',
    );
    for (let i = 0; i < 5; i++) {
      sendUdp(agent('a1'), 'm', { address: group, port }, 'hello-segment');
      await sleep(50);
    }
    const message = await heard;
    expect(message).toMatchObject({ from: lab.address('a1'), data: 'hello-segment' });
    await sleep(200);
    expect(received(agent('b1'), 'm')).toEqual([]);
  });
});

describe('changing addresses', () => {
  it('moves a NAT to a new public address and a host to a new private one, processes running', async () => {
    const lab = await createLab({ public: ['s'], nats: [{ name: 'n', kind: 'eim' }] });
    try {
      const s = await startAgent(lab, 's');
      await bindUdp(s, 'r', { port: REFLECT_PORT, reflect: true });
      const h = await startAgent(lab, 'n1');
      await bindUdp(h, 'u');
      const reflector = { address: lab.address('s'), port: REFLECT_PORT };
      expect((await reflect(h, 'u', reflector)).address).toBe('203.0.113.100');

      const natAddress = await lab.changeAddress('n');
      expect(natAddress).toBe('203.0.113.150');
      expect(lab.publicAddress('n1')).toBe(natAddress);
      expect((await reflect(h, 'u', reflector)).address).toBe(natAddress);

      const hostAddress = await lab.changeAddress('n1', '10.0.1.77');
      const shown = (await lab.exec('n1', 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0']))
        .stdout;
      expect(shown).toContain('10.0.1.77/24');
      expect(shown).not.toContain('10.0.1.10/');
      expect(hostAddress).toBe('10.0.1.77');
      expect((await reflect(h, 'u', reflector)).address).toBe(natAddress);
      const seenAtServer = received(s, 'r', 'probe').at(-1);
      expect(seenAtServer?.from).toBe(natAddress);

      await expectRejectsCode(
        () => lab.changeAddress('n1', '10.0.9.5'),
        NetlabError,
        'NETLAB_BAD_SPEC',
      );
      await expectRejectsCode(
        () => lab.changeAddress('n1', lab.node('n').gateway!),
        NetlabError,
        'NETLAB_BAD_SPEC',
      );
    } finally {
      await lab.close();
    }
  });
});

describe('lifecycle', () => {
  it('(g) close kills the lab\u2019s processes and deletes every namespace; it is idempotent', async () => {
    const [one, two] = await Promise.all([
      createLab({ public: ['s'], nats: [{ name: 'n', kind: 'eim' }] }),
      createLab({ public: ['s'], nats: [{ name: 'n', kind: 'symmetric' }] }),
    ]);
    expect(one.id).not.toBe(two.id);
    const mine = (lab: Lab) => namespaces().filter((ns) => ns.startsWith(`${lab.id}-`));
    expect(mine(one).sort()).toEqual([
      `${one.id}-n`,
      `${one.id}-n1`,
      `${one.id}-s`,
      `${one.id}-wan`,
    ]);
    const sleeper = one.spawnNode('n1', ['-e', 'setInterval(() => {}, 1000); console.log("up")']);
    await sleeper.waitForLine('up');
    await one.close();
    expect(mine(one)).toEqual([]);
    expect(sleeper.exit?.signal).toBe('SIGKILL');
    await one.close();
    expect(() => one.ns('s')).toThrow(NetlabError);
    expect(mine(two)).toHaveLength(4); // the other lab is untouched
    await two.close();
    expect(mine(two)).toEqual([]);
  });

  it('a process is killed on request, SIGKILL too, and its output waits fail cleanly', async () => {
    const lab = await createLab({ public: ['s'] });
    try {
      const proc = lab.spawnNode('s', [
        '-e',
        'process.on("SIGTERM", () => {}); console.log("{\\"ev\\":\\"up\\"}"); setInterval(() => {}, 1000)',
      ]);
      expect(await proc.waitForJson((e: { ev: string }) => e.ev === 'up')).toEqual({ ev: 'up' });
      const never = proc.waitForLine('never', { timeoutMs: 30_000 });
      const exit = await proc.kill('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      await expect(never).rejects.toMatchObject({ code: 'NETLAB_PROCESS_EXITED' });
      const quick = lab.spawnNode('s', ['-e', 'process.exit(3)']);
      expect((await quick.exited).code).toBe(3);
      await expectRejectsCode(() => lab.exec('s', 'false'), NetlabError, 'NETLAB_COMMAND_FAILED');
    } finally {
      await lab.close();
    }
  });

  it('sweepStale removes namespaces of a given lab prefix and refuses other prefixes', async () => {
    const lab = await createLab({ public: ['s'] });
    const removed = await sweepStale(`${lab.id}-`);
    expect(removed.sort()).toEqual([`${lab.id}-s`, `${lab.id}-wan`]);
    expect(namespaces().filter((n) => n.startsWith(lab.id))).toEqual([]);
    await lab.close();
    await expectRejectsCode(() => sweepStale('x'), NetlabError, 'NETLAB_BAD_SPEC');
    await expectRejectsCode(() => sweepStale('nl-'), NetlabError, 'NETLAB_BAD_SPEC');
  });
});

describe('preflight and spec errors', () => {
  it('says exactly what is missing', () => {
    const notRoot = expectThrowsCode(
      () => checkLabPrerequisites({ uid: 1000 }),
      NetlabError,
      'NETLAB_NOT_ROOT',
    );
    expect(notRoot.message).toContain('uid 1000');
    const empty = mkdtempSync(join(tmpdir(), 'netlab-'));
    const missing = expectThrowsCode(
      () => checkLabPrerequisites({ uid: 0, searchPath: [empty] }),
      NetlabError,
      'NETLAB_MISSING_TOOL',
    );
    expect(missing.message).toContain('`nft` (apt package nftables)');
    expect(missing.message).toContain('`ip` (apt package iproute2)');
  });

  it('rejects bad lab descriptions before creating anything', async () => {
    const before = namespaces().length;
    await expectRejectsCode(
      () => createLab({ public: ['x', 'x'] }),
      NetlabError,
      'NETLAB_BAD_SPEC',
    );
    await expectRejectsCode(
      () => createLab({ public: ['Bad name'] }),
      NetlabError,
      'NETLAB_BAD_SPEC',
    );
    await expectRejectsCode(() => createLab({ public: ['wan'] }), NetlabError, 'NETLAB_BAD_SPEC');
    await expectRejectsCode(() => createLab({}), NetlabError, 'NETLAB_BAD_SPEC');
    await expectRejectsCode(
      () => createLab({ nats: [{ name: 'n', kind: 'cone' as 'eim' }] }),
      NetlabError,
      'NETLAB_BAD_SPEC',
    );
    expect(namespaces().length).toBe(before);
  });
});
