// End to end: the relay daemon (built dist, a real process) and `peerwire chat --json`
// processes over loopback TCP: open-channel messages, a closed channel that only the invited key
// holder reads, a file attachment, a punched direct path, the one-shot `chat send`, exit codes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RelayProcess, startRelayProcess } from './relay-process.js';

const cliMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));

type Line = Record<string, unknown> & { event: string };

let dir: string;
let relay: RelayProcess;
let node: string;
let relayHttp: string;
const children: ChildProcess[] = [];

const env = () => ({ ...process.env, XDG_CONFIG_HOME: join(dir, 'xdg') });

/** One `peerwire chat --json` process: JSON lines out, JSON commands in. */
class Chat {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  stderr = '';
  readonly exited: Promise<number>;
  #buf = '';
  #waiters: { match: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];

  constructor(
    readonly name: string,
    args: string[],
  ) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', cliMain, 'chat', '--json', '-k', join(dir, name), ...args],
      { env: env(), stdio: ['pipe', 'pipe', 'pipe'] },
    );
    children.push(this.child);
    this.child.stdout!.on('data', (d: Buffer) => {
      this.#buf += d.toString();
      for (let nl = this.#buf.indexOf('\n'); nl >= 0; nl = this.#buf.indexOf('\n')) {
        const line = JSON.parse(this.#buf.slice(0, nl)) as Line;
        this.#buf = this.#buf.slice(nl + 1);
        this.lines.push(line);
        for (const w of [...this.#waiters]) {
          if (w.match(line)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code ?? -1)));
  }

  /** The first line (already printed or to come) that `match` accepts. */
  waitFor(match: (l: Line) => boolean, what: string, timeoutMs = 20_000): Promise<Line> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name}: no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.lines)} ${this.stderr}`,
            ),
          ),
        timeoutMs,
      );
      this.#waiters.push({
        match,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
      });
    });
  }

  #ids = 0;
  /** Sends a command and resolves with its answer (matched by `id`). */
  async ask(cmd: Record<string, unknown>): Promise<Line> {
    const id = `${this.name}-${++this.#ids}`;
    this.child.stdin!.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return this.waitFor((l) => l.id === id, `answer to ${JSON.stringify(cmd)}`);
  }
}

function messages(c: Chat, text: string): Line[] {
  return c.lines.filter((l) => l.event === 'message' && l.text === text);
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cliMain, ...args], {
    env: env(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerwire-cli-chat-'));
  relay = startRelayProcess(['--bob-port', '0', '--bob-secure-port', '0']);
  const m = await relay.output(/ptpchat node \S+ listening on 127\.0\.0\.1:(\d+)/);
  node = `127.0.0.1:${m[1]}`;
  relayHttp = `http://127.0.0.1:${(await relay.output(/listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
  for (const name of ['alice', 'bob', 'carol', 'dave']) {
    const r = run(['id', 'new', '-k', join(dir, name), '--name', name]);
    expect(r.code, r.stderr).toBe(0);
  }
});

afterAll(async () => {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  const gone = running.map((c) => new Promise((resolve) => c.once('close', resolve)));
  for (const c of running) c.kill('SIGTERM');
  await Promise.all(gone);
  relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('peerwire chat through the relay daemon', () => {
  it('open and closed channels, a file, a direct path, a one-shot send', async () => {
    const files = join(dir, 'carol-files');
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(
      (n) => new Chat(n, n === 'carol' ? [node, '--files', files] : [node]),
    );
    const ids: Record<string, string> = {};
    for (const c of [alice!, bob!, carol!]) {
      const hello = await c.waitFor((l) => l.event === 'connected', 'connected');
      expect(hello.neighbour).toMatch(/^relay@/);
      ids[c.name] = hello.nodeId as string;
    }
    // Everyone is known to alice through the relay's routes.
    await eventually(async () => {
      const online = (await alice!.ask({ cmd: 'online' })).nodes as {
        nodeId: string;
        path: string;
      }[];
      return [ids.bob, ids.carol].every((id) =>
        online.some((n) => n.nodeId === id && n.path === 'relayed'),
      );
    }, 'alice sees bob and carol');

    // An open channel: every member reads.
    const general = (await alice!.ask({ cmd: 'create', name: 'general' })).channel as {
      channelId: string;
    };
    for (const c of [bob!, carol!]) {
      await c.waitFor(
        (l) => l.event === 'channel' && (l.channel as { name: string }).name === 'general',
        'general announced',
      );
      expect((await c.ask({ cmd: 'join', channel: 'general' })).event).toBe('joined');
    }
    await eventually(async () => {
      const m = (await alice!.ask({ cmd: 'members', channel: 'general' })).members as unknown[];
      return m.length === 3;
    }, 'three members of general');
    const sent = await alice!.ask({ cmd: 'say', channel: 'general', text: 'hello all' });
    expect(sent.event).toBe('sent');
    for (const c of [bob!, carol!]) {
      const m = await c.waitFor(
        (l) => l.event === 'message' && l.text === 'hello all',
        'hello all',
      );
      expect(m).toMatchObject({ from: ids.alice, channelId: general.channelId, closed: false });
    }

    // A closed channel: alice invites bob only; carol never reads it.
    const secret = (await alice!.ask({ cmd: 'create', name: 'secret', closed: true })).channel as {
      channelId: string;
    };
    const invited = await alice!.ask({ cmd: 'invite', channel: 'secret', node: 'bob' });
    expect(invited).toMatchObject({ event: 'invited-node', node: ids.bob });
    await bob!.waitFor((l) => l.event === 'invited' && l.channelId === secret.channelId, 'the key');
    expect((await bob!.ask({ cmd: 'join', channel: secret.channelId })).channel).toMatchObject({
      closed: true,
      hasKey: true,
      joined: true,
    });
    // bob's JOIN reaches alice through the relay (alice listed him as an invitee at once; his JOIN
    // is reported as member-joined).
    await alice!.waitFor(
      (l) =>
        l.event === 'member-joined' && l.channelId === secret.channelId && l.nodeId === ids.bob,
      'bob joined secret',
    );
    await alice!.ask({ cmd: 'say', channel: 'secret', text: 'for bob only' });
    const got = await bob!.waitFor(
      (l) => l.event === 'message' && l.text === 'for bob only',
      'secret',
    );
    expect(got).toMatchObject({ from: ids.alice, closed: true, channelId: secret.channelId });
    await bob!.ask({ cmd: 'say', channel: 'secret', text: 'bob replies' });
    await alice!.waitFor((l) => l.event === 'message' && l.text === 'bob replies', 'the reply');
    // carol cannot even name the channel: she has no key and is no member.
    const carolJoin = await carol!.ask({ cmd: 'join', channel: 'secret' });
    expect(carolJoin.event).toBe('error');
    expect(carolJoin.exitCode).toBe(2);
    // A message to general after the secret ones: once carol has it, she has had her chance.
    await alice!.ask({ cmd: 'say', channel: 'general', text: 'after the secret' });
    await carol!.waitFor((l) => l.text === 'after the secret', 'the later open message');
    expect(messages(carol!, 'for bob only')).toEqual([]);
    expect(messages(carol!, 'bob replies')).toEqual([]);
    expect(carol!.lines.some((l) => JSON.stringify(l).includes(secret.channelId))).toBe(false);

    // A file as an attachment.
    const file = join(dir, 'notes.txt');
    const content = randomBytes(3000);
    writeFileSync(file, content);
    expect(await alice!.ask({ cmd: 'send', channel: 'general', file })).toMatchObject({
      event: 'sent',
      file: 'notes.txt',
      size: 3000,
      type: 'text/plain',
    });
    const withFile = await carol!.waitFor(
      (l) => l.event === 'message' && l.text === 'notes.txt',
      'the file',
    );
    const [att] = withFile.attachments as {
      type: string;
      size: number;
      data: string;
      file: string;
    }[];
    expect(att).toMatchObject({ type: 'text/plain', size: 3000, file: join(files, 'notes.txt') });
    expect(Buffer.from(att!.data, 'base64').equals(content)).toBe(true);
    // --files: saved under the sender's name, never over an existing file.
    expect(readFileSync(join(files, 'notes.txt')).equals(content)).toBe(true);
    await alice!.ask({ cmd: 'send', channel: 'general', file });
    const again = await carol!.waitFor(
      (l) => l.event === 'message' && l.text === 'notes.txt' && l.msgId !== withFile.msgId,
      'the file again',
    );
    expect((again.attachments as { file: string }[])[0]!.file).toBe(join(files, 'notes-1.txt'));

    // A direct UDP path between two peers, punched through the relay (loopback: no NAT).
    expect((await alice!.ask({ cmd: 'path', node: 'bob' })).path).toBe('relayed');
    const punched = await alice!.ask({ cmd: 'connect', node: 'bob' });
    expect(punched).toMatchObject({ event: 'path', node: ids.bob, path: 'direct', punched: true });

    // The one-shot send from a fourth identity: members read it.
    const oneShot = run([
      'chat',
      'send',
      'general',
      'one',
      'shot',
      '--node',
      node,
      '-k',
      join(dir, 'dave'),
      '--json',
    ]);
    expect(oneShot.code, oneShot.stderr).toBe(0);
    expect(JSON.parse(oneShot.stdout)).toMatchObject({ event: 'sent', channel: 'general' });
    for (const c of [alice!, bob!, carol!]) {
      const m = await c.waitFor((l) => l.event === 'message' && l.text === 'one shot', 'one shot');
      expect(m.from).toMatch(/^dave@/);
    }
    const oneFile = run([
      'chat',
      'send',
      'general',
      '--file',
      file,
      '--node',
      node,
      '-k',
      join(dir, 'dave'),
    ]);
    expect(oneFile.code, oneFile.stderr).toBe(0);
    expect(oneFile.stdout).toBe('sent to #general\n');
    const daveFile = await bob!.waitFor(
      (l) => l.event === 'message' && l.text === 'notes.txt' && String(l.from).startsWith('dave@'),
      "dave's file",
    );
    const [daveAtt] = daveFile.attachments as { data: string }[];
    expect(Buffer.from(daveAtt!.data, 'base64').equals(content)).toBe(true);
    expect(run(['chat', 'send', 'general', '-k', join(dir, 'dave')]).code).toBe(2);

    // The relay carried all of it (floods, the closed channel's copies, the rendezvous) and read
    // none: its node joins no channel.
    const metrics = await (await fetch(`${relayHttp}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(value('peerwire_ptpchat_floods_forwarded_total')).toBeGreaterThanOrEqual(4);
    expect(value('peerwire_ptpchat_messages_delivered_total')).toBe(0);
    expect(value('peerwire_ptpchat_connect_attempts_total')).toBe(1);
    expect(value('peerwire_ptpchat_connect_successes_total')).toBe(1);

    for (const c of [alice!, bob!, carol!]) {
      expect((await c.ask({ cmd: 'quit' })).event).toBe('bye');
      expect(await c.exited).toBe(0);
    }
    // The node id is kept beside the keychain: the same GUID next time.
    expect(readFileSync(`${join(dir, 'alice')}.ptpchat`, 'utf8').trim()).toBe(ids.alice);
  }, 180_000);

  it('a restarted chat still reads its closed channel (keys kept beside the keychain, 0600)', async () => {
    for (const name of ['erin', 'fay']) {
      const r = run(['id', 'new', '-k', join(dir, name), '--name', name]);
      expect(r.code, r.stderr).toBe(0);
    }
    const erin = new Chat('erin', [node]);
    let fay = new Chat('fay', [node]);
    const ids: Record<string, string> = {};
    for (const c of [erin, fay])
      ids[c.name] = (await c.waitFor((l) => l.event === 'connected', 'connected')).nodeId as string;
    await eventually(async () => {
      const online = (await erin.ask({ cmd: 'online' })).nodes as { nodeId: string }[];
      return online.some((n) => n.nodeId === ids.fay);
    }, 'erin sees fay');
    const vault = (await erin.ask({ cmd: 'create', name: 'vault', closed: true })).channel as {
      channelId: string;
    };
    await erin.ask({ cmd: 'invite', channel: 'vault', node: 'fay' });
    await fay.waitFor((l) => l.event === 'invited' && l.channelId === vault.channelId, 'the key');
    await fay.ask({ cmd: 'join', channel: vault.channelId });
    await erin.waitFor((l) => l.event === 'member-joined' && l.nodeId === ids.fay, 'fay joined');
    expect((await fay.ask({ cmd: 'quit' })).event).toBe('bye');
    expect(await fay.exited).toBe(0);
    const saved = join(dir, 'fay.ptpchat-channels');
    expect(statSync(saved).mode & 0o777).toBe(0o600);
    expect(readFileSync(saved, 'utf8')).toContain(vault.channelId);
    // The same keychain again: the channel, its key and membership are back at once.
    fay = new Chat('fay', [node]);
    await fay.waitFor((l) => l.event === 'connected', 'connected again');
    expect((await fay.ask({ cmd: 'channels' })).channels).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          channelId: vault.channelId,
          closed: true,
          hasKey: true,
          joined: true,
        }),
      ]),
    );
    await erin.ask({ cmd: 'say', channel: 'vault', text: 'after your restart' });
    const got = await fay.waitFor(
      (l) => l.event === 'message' && l.text === 'after your restart',
      'the message',
    );
    expect(got).toMatchObject({ from: ids.erin, closed: true, channelId: vault.channelId });
    for (const c of [erin, fay]) expect((await c.ask({ cmd: 'quit' })).event).toBe('bye');
  }, 120_000);

  it('redials a lost neighbour with a doubling backoff, shown as reconnecting events', async () => {
    const r = run(['id', 'new', '-k', join(dir, 'gus'), '--name', 'gus']);
    expect(r.code, r.stderr).toBe(0);
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const args = ['--bob-port', '0', '--bob-secure-port', '0', '--ptpchat-port', String(port)];
    let hub = startRelayProcess(args);
    await hub.output(/ptpchat node \S+ listening/);
    const gus = new Chat('gus', [`127.0.0.1:${port}`]);
    await gus.waitFor((l) => l.event === 'connected', 'connected');
    const gone = new Promise((resolve) => hub.child.once('exit', resolve));
    hub.stop();
    await gone;
    await gus.waitFor((l) => l.event === 'disconnected', 'disconnected');
    expect(await gus.waitFor((l) => l.event === 'reconnecting', 'attempt 1')).toMatchObject({
      attempt: 1,
      inMs: 1000,
      address: `127.0.0.1:${port}`,
    });
    // The relay is still down: the first redial fails, the next waits twice as long.
    expect(
      await gus.waitFor((l) => l.event === 'reconnecting' && l.attempt === 2, 'attempt 2'),
    ).toMatchObject({ inMs: 2000 });
    hub = startRelayProcess(args);
    await hub.output(/ptpchat node \S+ listening/);
    await eventually(
      async () => gus.lines.filter((l) => l.event === 'connected').length === 2,
      'connected again',
      30_000,
    );
    expect((await gus.ask({ cmd: 'online' })).nodes).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'neighbour' })]),
    );
    expect((await gus.ask({ cmd: 'quit' })).event).toBe('bye');
    hub.stop();
  }, 120_000);

  it('over IPv6 loopback: the relay on ::1, two peers exchange a channel message', async () => {
    for (const name of ['hal', 'ivy']) {
      const r = run(['id', 'new', '-k', join(dir, name), '--name', name]);
      expect(r.code, r.stderr).toBe(0);
    }
    const hub = startRelayProcess(['--host', '::1', '--bob-port', '0', '--bob-secure-port', '0']);
    const m = await hub.output(/ptpchat node \S+ listening on \[?::1\]?:(\d+)/);
    const target = `[::1]:${m[1]}`;
    const [hal, ivy] = ['hal', 'ivy'].map((n) => new Chat(n, [target]));
    for (const c of [hal!, ivy!]) {
      const hello = await c.waitFor((l) => l.event === 'connected', 'connected');
      expect(hello.address).toBe(target);
    }
    await hal!.ask({ cmd: 'create', name: 'six' });
    await ivy!.waitFor(
      (l) => l.event === 'channel' && (l.channel as { name: string }).name === 'six',
      'six announced',
    );
    await ivy!.ask({ cmd: 'join', channel: 'six' });
    await eventually(async () => {
      const members = (await hal!.ask({ cmd: 'members', channel: 'six' })).members as unknown[];
      return members.length === 2;
    }, 'two members of six');
    await hal!.ask({ cmd: 'say', channel: 'six', text: 'over ::1' });
    expect(
      await ivy!.waitFor((l) => l.event === 'message' && l.text === 'over ::1', 'the message'),
    ).toMatchObject({ closed: false, channel: 'six' });
    for (const c of [hal!, ivy!]) expect((await c.ask({ cmd: 'quit' })).event).toBe('bye');
    hub.stop();
  }, 120_000);
});

describe('peerwire chat in text mode (stdin a pipe)', () => {
  it('reads /commands and text, prints answers, reports bad usage and goes on', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cliMain, 'chat', node, '-k', join(dir, 'carol'), '--name', 'carol'],
      { env: env(), stdio: ['pipe', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await eventually(async () => /connected to relay@/.test(out), 'connected');
    child.stdin.write('/create textroom\nhello from text mode\n/join\n/members\n/quit\n');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code, err).toBe(0);
    expect(out).toMatch(/created #textroom \([0-9a-f-]{36}\); what you type now goes there/);
    expect(err).toMatch(/error: usage: \/join <channel>/);
    expect(out).toMatch(/#textroom: 1 member\n {2}carol@[0-9a-f]{8} +\(you\)/);
    expect(out).toMatch(/bye\n$/);
  }, 60_000);
});

describe('peerwire chat in a terminal (a real pty: util-linux script)', () => {
  it('shows the prompt with the current channel and reads typed lines', async () => {
    const q = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;
    const cmd = [
      process.execPath,
      '--import',
      'tsx',
      cliMain,
      'chat',
      node,
      '-k',
      join(dir, 'dave'),
    ]
      .map(q)
      .join(' ');
    // script gives the chat a pseudo-terminal: stdin and stdout are TTYs, as for a user.
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      env: { ...env(), TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await eventually(async () => /connected to relay@/.test(out) && /> /.test(out), 'the prompt');
    child.stdin.write('/create ptyroom\r');
    await eventually(async () => /#ptyroom> /.test(out), 'the channel prompt');
    child.stdin.write('typed in a terminal\r');
    await eventually(async () => (out.match(/#ptyroom> /g) ?? []).length >= 2, 'prompt again');
    child.stdin.write('/members\r');
    await eventually(async () => /#ptyroom: 1 member/.test(out), 'members');
    child.stdin.write('/quit\r');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code, out).toBe(0);
    expect(out).toMatch(/created #ptyroom/);
    expect(out).toMatch(/bye/);
  }, 60_000);
});

describe('peerwire chat errors', () => {
  it('exit 2 for a bad address, 3 for an unreachable node, 4 for a channel never heard of', () => {
    const bad = run(['chat', 'http://127.0.0.1:9011', '-k', join(dir, 'alice')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is a URL.*host:port/);
    const badPort = run([
      'chat',
      'send',
      'x',
      'y',
      '--node',
      '127.0.0.1:99999',
      '-k',
      join(dir, 'alice'),
    ]);
    expect(badPort.code).toBe(2);
    // A port nothing listens on (the relay's HTTP port speaks no ptpchat: a closed one is surer).
    const down = run(['chat', '127.0.0.1:1', '-k', join(dir, 'alice'), '-t', '3000']);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/cannot reach a ptpchat node at 127\.0\.0\.1:1/);
    const unknown = run([
      'chat',
      'send',
      'nowhere',
      'hi',
      '--node',
      node,
      '-k',
      join(dir, 'alice'),
      '-t',
      '1500',
    ]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/no channel nowhere heard of/);
    const noKeychain = run(['chat', node, '-k', join(dir, 'nobody')]);
    expect(noKeychain.code).toBe(2);
    expect(noKeychain.stderr).toMatch(/no keychain/);
  }, 120_000);
});
