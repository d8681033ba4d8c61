// End-to-end tests of the `peerwire` CLI: real processes, a real relay on loopback.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectWebSocket } from '@peerwire/transport/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RelayProcess, startRelayProcess } from './relay-process.js';

const cliMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let dir: string;
let relay: RelayProcess;
let relayUrl: string;
const children: ChildProcess[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliMain, ...args], {
      env: { ...process.env, PEERWIRE_RELAY: relayUrl, XDG_CONFIG_HOME: join(dir, 'xdg'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Like `run`, with stdout kept as bytes. */
function runRaw(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliMain, ...args], {
      env: { ...process.env, PEERWIRE_RELAY: relayUrl, XDG_CONFIG_HOME: join(dir, 'xdg') },
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr }));
  });
}

const kc = (name: string) => ['--keychain', join(dir, name)];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerwire-cli-test-'));
  relay = startRelayProcess(['--server-code', 'clit', '--bob-port', '0', '--bob-secure-port', '0']);
  const port = Number((await relay.output(/listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
  relayUrl = `ws://127.0.0.1:${port}/_websocket`;
});

afterAll(() => {
  for (const c of children) c.kill('SIGTERM');
  relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('an unreachable or refusing relay (issue 15 item 13)', () => {
  it('a refused connection fails fast with one clear sentence, showing the retries', async () => {
    await run(['id', 'new', ...kc('dialer')]);
    // Port 9 (discard) has no listener on loopback: ECONNREFUSED. A 60 s timeout must not be
    // waited out (the test's own timeout is 20 s).
    const url = 'ws://127.0.0.1:9/_websocket';
    const r = await run(['spot', 'query', '@/version', ...kc('dialer'), '-r', url, '-t', '60000']);
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines.slice(0, -1)).toEqual([
      `relay ${url}: connection refused; trying again (1 of 3)…`,
      `relay ${url}: connection refused; trying again (2 of 3)…`,
    ]);
    expect(lines.at(-1)).toBe(
      `peerwire: cannot reach the relay at ${url}: connection refused (nothing listens there: is the relay running? check --relay)`,
    );
    expect(r.stderr).not.toMatch(/cannot connect to .*cannot connect to/);
    // Discovery (an http:// base) that fails is an unreachable relay too: exit 3.
    const disc = await run([
      'spot',
      'query',
      '@/version',
      ...kc('dialer'),
      '-r',
      'http://127.0.0.1:9',
    ]);
    expect(disc.code).toBe(3);
    expect(disc.stderr).toMatch(
      /^peerwire: cannot reach the relay's discovery at http:\/\/127\.0\.0\.1:9: /,
    );
  }, 20_000);

  it("an HTTP refusal fails at once and shows the relay's reason", async () => {
    await run(['id', 'new', ...kc('dialer2')]);
    process.env.PEERWIRE_LIMIT_MAX_CONNECTIONS_PER_IP = '1';
    const limited = startRelayProcess(['--no-bob']);
    delete process.env.PEERWIRE_LIMIT_MAX_CONNECTIONS_PER_IP;
    try {
      const port = Number((await limited.output(/listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
      // One connection per address: while this one is held, the CLI's upgrade gets 503.
      const url = `ws://127.0.0.1:${port}/_websocket`;
      const hold = await connectWebSocket(url, { timeoutMs: 5000 });
      const r = await run([
        'spot',
        'query',
        '@/version',
        ...kc('dialer2'),
        '-r',
        url,
        '-t',
        '60000',
      ]);
      hold.close();
      expect(r.code).toBe(3);
      expect(r.stderr).toBe(
        `peerwire: cannot reach the relay at ${url}: it refused the connection (HTTP 503: too many connections from 127.0.0.1 (limit 1))\n`,
      );
    } finally {
      limited.stop();
    }
  }, 20_000);
});

describe('peerwire id', () => {
  it('creates an identity and shows it as JSON', async () => {
    const created = await run(['id', 'new', ...kc('alice'), '--name', 'Alice']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/created P-256 identity k\./);
    expect(statSync(join(dir, 'alice')).mode & 0o777).toBe(0o600);
    const shown = await run(['id', 'show', '--json', ...kc('alice')]);
    expect(shown.code).toBe(0);
    const json = JSON.parse(shown.stdout) as { address: string; meta: { name: string } };
    expect(json.address).toMatch(/^k\.[A-Za-z0-9_-]{43}$/);
    expect(json.meta.name).toBe('Alice');
    // stable across runs
    expect(JSON.parse((await run(['id', 'show', '--json', ...kc('alice')])).stdout).address).toBe(
      json.address,
    );
  });

  it('refuses to overwrite an identity and explains missing keychains', async () => {
    const again = await run(['id', 'new', ...kc('alice')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists.*--force/);
    const missing = await run(['id', 'show', ...kc('nobody')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no keychain at .*peerwire id new/);
  });

  it('encrypts the keychain with PEERWIRE_PASSPHRASE and rejects a wrong one', async () => {
    expect(
      (
        await run(['id', 'new', ...kc('secret'), '--type', 'ed25519'], {
          PEERWIRE_PASSPHRASE: 'open sesame',
        })
      ).code,
    ).toBe(0);
    expect(
      (await run(['id', 'show', ...kc('secret')], { PEERWIRE_PASSPHRASE: 'open sesame' })).code,
    ).toBe(0);
    const wrong = await run(['id', 'show', ...kc('secret')], { PEERWIRE_PASSPHRASE: 'nope' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/wrong passphrase/);
    const none = await run(['id', 'show', ...kc('secret')]);
    expect(none.stderr).toMatch(/encrypted: set PEERWIRE_PASSPHRASE/);
  });
});

describe('peerwire spot', () => {
  it('listen, send, query, ping between two identities', async () => {
    await run(['id', 'new', ...kc('bob')]);
    const bob = JSON.parse((await run(['id', 'show', '--json', ...kc('bob')])).stdout)
      .address as string;
    const listener = spawn(
      process.execPath,
      ['--import', 'tsx', cliMain, 'spot', 'listen', '--json', ...kc('bob')],
      {
        env: { ...process.env, PEERWIRE_RELAY: relayUrl },
      },
    );
    children.push(listener);
    const lines: Record<string, unknown>[] = [];
    let buf = '';
    listener.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
    });
    await waitFor(() => lines.some((l) => l.event === 'listening'));

    const sent = await run(['spot', 'send', bob, 'hello bob', ...kc('alice')]);
    expect(sent.code).toBe(0);
    await waitFor(() => lines.some((l) => l.event === 'message' && l.text === 'hello bob'));
    const msg = lines.find((l) => l.text === 'hello bob')!;
    expect(msg.encrypted).toBe(true);
    expect(msg.endpoint).toBe('message');

    const q = await run(['spot', 'query', `${bob}/echo`, 'ping pong', ...kc('alice')]);
    expect(q).toMatchObject({ code: 0, stdout: 'ping pong\n' });
    const p = await run(['spot', 'ping', bob, '--json', ...kc('alice')]);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout).ms).toBeGreaterThanOrEqual(0);
    const v = await run(['spot', 'query', '@/version', ...kc('alice')]);
    expect(v.stdout).toMatch(/^peerwire-relay\//);

    // `listen` prints requests to other endpoints without answering them: the query times out
    const unanswered = await run([
      'spot',
      'query',
      `${bob}/nothing-here`,
      'hi',
      ...kc('alice'),
      '--timeout',
      '2000',
    ]);
    expect(unanswered.code).toBe(4);
    await waitFor(() => lines.some((l) => l.endpoint === 'nothing-here'));

    // The built-in endpoints keep their answers and are printed too (issue 15 item 10).
    const finger = await run(['spot', 'query', `${bob}/finger`, '--json', ...kc('alice')]);
    expect(finger.code).toBe(0);
    const card = JSON.parse(finger.stdout).card as { address: string; keys: unknown[] };
    expect(card.address).toBe(bob);
    expect(card.keys.length).toBeGreaterThan(0);
    const version = await run(['spot', 'query', `${bob}/version`, ...kc('alice')]);
    expect(version.stdout).toBe('peerwire-cli\n');
    await waitFor(() =>
      ['ping', 'version', 'finger'].every((ep) =>
        lines.some((l) => l.event === 'message' && l.endpoint === ep),
      ),
    );
  }, 60_000);

  it('binary answers: @/time decoded, raw bytes when piped or with -o, never clobbering', async () => {
    const json = await run(['spot', 'query', '@/time', '--json', ...kc('alice')]);
    const time = JSON.parse(json.stdout).time as { iso: string; seconds: number };
    expect(Math.abs(Date.parse(time.iso) - Date.now())).toBeLessThan(60_000);
    const piped = await runRaw(['spot', 'query', '@/time', ...kc('alice')]);
    expect(piped.code).toBe(0);
    expect(piped.stdout.length).toBe(12); // u64 seconds ‖ u32 nanoseconds, as sent
    expect(Number(piped.stdout.readBigUInt64BE(0))).toBeGreaterThanOrEqual(time.seconds);

    const file = join(dir, 'time.bin');
    expect((await run(['spot', 'query', '@/time', '-o', file, ...kc('alice')])).code).toBe(0);
    expect(readFileSync(file).length).toBe(12);
    const again = await run(['spot', 'query', '@/time', '-o', file, ...kc('alice')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; nothing was overwritten \(use --force/);
    expect(
      (await run(['spot', 'query', '@/time', '-o', file, '--force', ...kc('alice')])).code,
    ).toBe(0);

    const bytes = randomBytes(300);
    bytes[0] = 0; // surely not text
    writeFileSync(join(dir, 'blob.bin'), bytes);
    const src = `@${join(dir, 'blob.bin')}`;
    expect((await run(['spot', 'blob', 'put', 'bin', src, ...kc('alice')])).code).toBe(0);
    const got = await runRaw(['spot', 'blob', 'get', 'bin', ...kc('alice')]);
    expect(got.stdout.equals(bytes)).toBe(true);
  });

  it('reports remote errors, unreachable relays and bad addresses with distinct exit codes', async () => {
    const ghost = 'k.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const r = await run(['spot', 'query', `${ghost}/x`, ...kc('alice')]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/knows no identity/);
    const off = await run([
      'spot',
      'query',
      '@/version',
      ...kc('alice'),
      '--relay',
      'ws://127.0.0.1:9/_websocket',
      '--timeout',
      '1500',
    ]);
    expect(off.code).toBe(3);
    expect(off.stderr).toMatch(/cannot reach the relay/);
    const bad = await run(['spot', 'query', 'x.nonsense', ...kc('alice')]);
    expect(bad.code).toBe(2);
    // An identity the relay knows but that is not online: the relay's "no route" is reported.
    await run(['id', 'new', ...kc('carol')]);
    const carol = JSON.parse((await run(['id', 'show', '--json', ...kc('carol')])).stdout)
      .address as string;
    expect((await run(['spot', 'query', '@/version', ...kc('carol')])).code).toBe(0);
    const offline = await run(['spot', 'send', carol, 'are you there?', ...kc('alice')]);
    expect(offline.code).toBe(5);
    expect(offline.stderr).toMatch(/no route to k\./);
    expect(offline.stdout).not.toMatch(/sent to/);
  });

  it('blob put, get, rm', async () => {
    expect(
      (await run(['spot', 'blob', 'put', 'note', 'remember the milk', ...kc('alice')])).code,
    ).toBe(0);
    expect((await run(['spot', 'blob', 'get', 'note', ...kc('alice')])).stdout).toBe(
      'remember the milk\n',
    );
    expect((await run(['spot', 'blob', 'rm', 'note', ...kc('alice')])).code).toBe(0);
    const gone = await run(['spot', 'blob', 'get', 'note', ...kc('alice')]);
    expect(gone.code).toBe(5);
    expect(gone.stderr).toMatch(/blob not found/);
  });
});

describe('peerwire group', () => {
  it('create, add, list', async () => {
    const created = await run(['group', 'create', '--json', ...kc('alice')]);
    const group = JSON.parse(created.stdout).group as string;
    expect(group).toMatch(/^g\./);
    const bob = JSON.parse((await run(['id', 'show', '--json', ...kc('bob')])).stdout)
      .address as string;
    const added = await run(['group', 'add', group, bob, '--role', 'member', ...kc('alice')]);
    expect(added.code).toBe(0);
    const list = await run(['group', 'list', group, '--json', ...kc('alice')]);
    expect(JSON.parse(list.stdout).members).toEqual([bob]);
    // Group messages are signed only: the CLI says so when sending.
    const toGroup = await run(['spot', 'send', group, 'hello group', ...kc('alice')]);
    expect(toGroup.stderr).toMatch(
      /^Note: to a group \(g\.[^)]+\) messages are signed but not encrypted: the relay and the recipients can read them\.$/m,
    );
    const toBob = await run(['spot', 'send', bob, 'hello bob', ...kc('alice')]);
    expect(toBob.stderr).not.toMatch(/not encrypted/);
  }, 30_000);
});

describe('help', () => {
  it.each([[[]], [['spot']], [['spot', 'blob']], [['group']], [['id']]])(
    '%j --help exits 0',
    async (args) => {
      const r = await run([...args, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: peerwire/);
    },
  );
});

function waitFor(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('timed out'));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

describe('command modules load lazily', () => {
  it('finds the command word past global option values, and help and typos still see every group', async () => {
    const { version } = (await import('../package.json', { with: { type: 'json' } })).default;
    const v = await run(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    // The value of a global option is not taken for the command word.
    const spot = await run(['-k', 'send', 'spot', '--help']);
    expect(spot.code).toBe(0);
    expect(spot.stdout).toMatch(/Usage: peerwire spot/);
    expect(spot.stdout).toMatch(/listen/);
    const help = await run(['--help']);
    for (const name of ['id', 'spot', 'group', 'datt', 'send', 'recv'])
      expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const typo = await run(['sendd']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Did you mean send\?/);
  });
});

describe('the bin', () => {
  it('runs through its shebang line, V8 flags included (env -S splits them)', async () => {
    const shebang = readFileSync(cliMain, 'utf8').split('\n', 1)[0]!;
    const m = /^#!\/usr\/bin\/env -S (node(?: --[\w-]+=\w+)*)$/.exec(shebang);
    expect(m, shebang).not.toBeNull();
    const { version } = (await import('../package.json', { with: { type: 'json' } })).default;
    const out = await new Promise<Run>((resolve) => {
      // The same interpreter and flags, with tsx in front of the source as `run` does.
      const child = spawn('/usr/bin/env', ['-S', m![1]!, '--import', 'tsx', cliMain, '--version']);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe(version);
  });
});

describe('option values', () => {
  it('rejects bad counts, timeouts and relay URLs as usage errors (exit 2) before connecting', async () => {
    const cases: [string[], RegExp][] = [
      [['spot', 'ping', 'k.x', '-n', 'abc'], /a count is a whole number from 1/],
      [['spot', 'ping', 'k.x', '-n', '-1'], /a count is a whole number from 1/],
      [['spot', 'ping', 'k.x', '-n', '2.5'], /a count is a whole number from 1/],
      [['-t', 'abc', 'spot', 'query', '@/version'], /a timeout in milliseconds/],
      [['-t', '0', 'spot', 'query', '@/version'], /a timeout in milliseconds/],
      [['-t', '-5', 'spot', 'query', '@/version'], /a timeout in milliseconds/],
      [
        ['-r', 'ftp://relay', 'spot', 'query', '@/version'],
        /--relay: ftp:\/\/relay: a relay URL starts with/,
      ],
      [['-r', '127.0.0.1:8080', 'spot', 'query', '@/version'], /is not a URL/],
    ];
    for (const [args, message] of cases) {
      const r = await run([...args, ...kc('alice')]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const env = await run(['spot', 'query', '@/version', ...kc('alice')], {
      PEERWIRE_RELAY: 'ftp://relay',
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/PEERWIRE_RELAY: ftp:\/\/relay: a relay URL starts with/);
  });
});
