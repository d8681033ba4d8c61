// `peerwire send` / `peerwire recv` as real processes, through the real relay daemon (its bob
// ports picked at random) on loopback.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RelayProcess, startRelayProcess } from './relay-process.js';

const cliMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let dir: string;
let relay: RelayProcess;
let at: string[];
let dirs = 0;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Running {
  readonly child: ChildProcess;
  readonly done: Promise<Run>;
  /** Resolves with the first stdout line matching `re`. */
  line(re: RegExp): Promise<RegExpExecArray>;
}

function start(args: string[], stdin?: string, env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', cliMain, ...args], {
    env: {
      ...process.env,
      PEERWIRE_BOB_RELAY: undefined,
      XDG_CONFIG_HOME: join(dir, 'xdg'),
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (stdin === undefined) child.stdin!.end();
  else child.stdin!.end(stdin);
  let stdout = '';
  let stderr = '';
  const watchers: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d;
    for (const w of [...watchers]) {
      const m = w.re.exec(stdout);
      if (m) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d;
  });
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })),
  );
  return {
    child,
    done,
    line: (re) =>
      new Promise((resolve, reject) => {
        const m = re.exec(stdout);
        if (m) return resolve(m);
        watchers.push({ re, resolve });
        void done.then((r) => reject(new Error(`exited (${r.code}) before ${re}: ${r.stderr}`)));
      }),
  };
}

function sub(): string {
  const d = join(dir, `d${dirs++}`);
  mkdirSync(d);
  return d;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerwire-cli-bob-'));
  relay = startRelayProcess([
    '--bob-port',
    '0',
    '--bob-secure-port',
    '0',
    '--bob-limit',
    'idleTimeoutMs=20000',
  ]);
  const m = await relay.output(
    /bob relay listening on 127\.0\.0\.1:(\d+) \(secure room on port (\d+)\)/,
  );
  const ports = [m[1]!, m[2]!] as const;
  at = ['--relay', `127.0.0.1:${ports[0]}`, '--secure-port', ports[1]];
});

afterAll(() => {
  relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('peerwire send / recv', () => {
  it('a file: the sender prints a password, the receiver saves and verifies the file', async () => {
    const src = sub();
    const out = sub();
    const content = randomBytes(300_000);
    writeFileSync(join(src, 'report.pdf'), content);
    const sender = start(['send', join(src, 'report.pdf'), ...at]);
    const [, password] = await sender.line(/^Password: (\S+)$/m);
    const got = await start(['recv', password!, '-y', '-o', out, ...at]).done;
    const sent = await sender.done;
    expect(got.code, got.stderr).toBe(0);
    expect(sent.code, sent.stderr).toBe(0);
    expect(readFileSync(join(out, 'report.pdf')).equals(content)).toBe(true);
    expect(got.stdout).toMatch(/Received file report\.pdf \(293\.0 KiB\) from 127\.0\.0\.1:\d+/);
    expect(got.stdout).toMatch(/PACK checksum verified \(SHA-1 [0-9a-f]{40}\)/);
    expect(sent.stdout).toMatch(/Sent file report\.pdf \(293\.0 KiB\) to 127\.0\.0\.1:\d+\n/);
    // stderr is not a terminal here: plain progress lines, ending at 100%.
    expect(got.stderr).toMatch(/received 100% 293\.0 KiB \/ 293\.0 KiB/);
    expect(sent.stderr).toMatch(/sent 100% 293\.0 KiB \/ 293\.0 KiB/);
  });

  it('a folder tree, with --no-compression and JSON events', async () => {
    const src = sub();
    const out = sub();
    mkdirSync(join(src, 'site', 'css'), { recursive: true });
    writeFileSync(join(src, 'site', 'index.html'), '<h1>hi</h1>\n');
    writeFileSync(join(src, 'site', 'css', 'main.css'), 'h1 { color: red }\n');
    const sender = start([
      'send',
      join(src, 'site'),
      '--password',
      'folder-pw',
      '--no-compression',
      '--json',
      ...at,
    ]);
    const got = await start(['recv', 'folder-pw', '-y', '-o', out, '--json', ...at]).done;
    const sent = await sender.done;
    expect(got.code, got.stderr).toBe(0);
    expect(sent.code, sent.stderr).toBe(0);
    const events = got.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
    expect(events.map((e) => e.event)).toContain('paired');
    expect(events.at(-1)).toMatchObject({ event: 'done', kind: 'folder', name: 'site', files: 2 });
    expect(readFileSync(join(out, 'site', 'css', 'main.css'), 'utf8')).toBe('h1 { color: red }\n');
    expect(JSON.parse(sent.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      event: 'done',
      kind: 'folder',
      confirmed: true,
    });
    expect(sent.stdout).not.toContain('folder-pw'); // a given password is not echoed
    expect(JSON.parse(sent.stdout.split('\n')[0]!)).toEqual({
      event: 'password',
      generated: false,
    });
  });

  it('--mime-type image/* sends without compression, as bob does', async () => {
    const src = sub();
    const out = sub();
    const text = 'the same line, over and over\n'.repeat(40_000); // ~1.1 MiB, compresses ~1000x
    writeFileSync(join(src, 'scan.png'), text);
    const sendJson = (password: string, extra: string[]) =>
      start(['send', join(src, 'scan.png'), '--password', password, '--json', ...extra, ...at]);
    const receiveOnce = (password: string) =>
      start(['recv', password, '-y', '--force', '-o', out, '--json', ...at]).done;
    const packBytes = async (password: string, extra: string[]) => {
      const sender = sendJson(password, extra);
      const got = await receiveOnce(password);
      const sent = await sender.done;
      expect(got.code, got.stderr).toBe(0);
      expect(sent.code, sent.stderr).toBe(0);
      expect(readFileSync(join(out, 'scan.png'), 'utf8')).toBe(text);
      return (JSON.parse(sent.stdout.trim().split('\n').at(-1)!) as { packBytes: number })
        .packBytes;
    };
    expect(await packBytes('mime-image', ['--mime-type', 'image/png'])).toBeGreaterThan(
      text.length,
    );
    expect(await packBytes('mime-text', ['--mime-type', 'text/plain'])).toBeLessThan(
      text.length / 100,
    );
    const bad = await sendJson('mime-bad', ['--mime-type', 'png']).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/type\/subtype/);
  });

  it('a wrong password: the receiver exits 6 and saves nothing', async () => {
    const src = sub();
    const out = sub();
    writeFileSync(join(src, 'a.txt'), 'a');
    const sender = start(['send', join(src, 'a.txt'), '-p', 'right-one', ...at]);
    await new Promise((r) => setTimeout(r, 1500)); // the sender is on the relay
    const got = await start(['recv', 'wrong-one', '-y', '-o', out, ...at]).done;
    sender.child.kill('SIGINT');
    const sent = await sender.done;
    expect(got.code).toBe(6);
    expect(got.stderr).toMatch(/wrong password.*check the password with the sender/);
    expect(readdirSync(out)).toEqual([]);
    expect(sent.code).toBe(1);
    expect(sent.stderr).toMatch(/cancelled/);
  });

  it('refusal: without -y the receiver asks, "n" on stdin refuses; the sender exits 5', async () => {
    const src = sub();
    const out = sub();
    writeFileSync(join(src, 'unwanted.bin'), 'x');
    const sender = start(['send', join(src, 'unwanted.bin'), '-p', 'refuse-pw', ...at]);
    const got = await start(['recv', 'refuse-pw', '-o', out, ...at], 'n\n').done;
    const sent = await sender.done;
    expect(got.stderr).toMatch(/Accept from 127\.0\.0\.1:\d+ \[Y\/n\] n\n/);
    expect(got.code).toBe(1);
    expect(got.stderr).toMatch(/you refused the transfer/);
    expect(sent.code).toBe(5);
    expect(sent.stderr).toMatch(/refused the transfer/);
    expect(readdirSync(out)).toEqual([]);
  });

  for (const who of ['sender', 'receiver'] as const) {
    it(`Ctrl-C on the ${who} mid-transfer: both say who stopped, exit 1, nothing saved`, async () => {
      const src = sub();
      const out = sub();
      const big = join(src, 'big.bin');
      writeFileSync(big, '');
      truncateSync(big, 512 * 1024 * 1024); // sparse: quick to make, slow enough to send
      const pw = `stop-${who}-pw`;
      const sender = start(['send', big, '-p', pw, '--no-compression', ...at]);
      const receiver = start(['recv', pw, '-y', '-o', out, ...at]);
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        const collect = (d: Buffer) => {
          seen += d;
          if (!/Sending to/.test(seen)) return;
          sender.child.stderr!.off('data', collect);
          resolve();
        };
        sender.child.stderr!.on('data', collect);
        void sender.done.then(() => reject(new Error('the sender exited before pairing')));
      });
      await new Promise((r) => setTimeout(r, 300)); // bytes flow
      (who === 'sender' ? sender : receiver).child.kill('SIGINT');
      const [sent, got] = await Promise.all([sender.done, receiver.done]);
      const stopped = who === 'sender' ? got : sent;
      const stopper = who === 'sender' ? sent : got;
      expect(stopper.code).toBe(1);
      expect(stopper.stderr).toMatch(/cancelled/);
      expect(stopped.code, stopped.stderr).toBe(1);
      expect(stopped.stderr.slice(-400)).toMatch(new RegExp(`the ${who} stopped the transfer`));
      expect(stopped.stderr).not.toMatch(/CHECKSUM_MISMATCH|rejected|--relay/);
      expect(readdirSync(out)).toEqual([]);
    }, 60_000);
  }

  it('an existing file is not overwritten without --force, and is with it', async () => {
    const src = sub();
    const out = sub();
    writeFileSync(join(src, 'notes.txt'), 'new notes');
    writeFileSync(join(out, 'notes.txt'), 'precious');
    let sender = start(['send', join(src, 'notes.txt'), '-p', 'exists-pw', ...at]);
    const got = await start(['recv', 'exists-pw', '-y', '-o', out, ...at]).done;
    const refused = await sender.done;
    // The sender is told (issue 15 item 8): no "Sent file …" and exit 0.
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(
      /the receiver refused the transfer: the file already exists there/,
    );
    expect(refused.stdout).not.toMatch(/Sent file/);
    expect(got.code).toBe(1);
    expect(got.stderr).toMatch(/notes\.txt already exists; nothing was overwritten.*--force/);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('precious');
    expect(readdirSync(out)).toEqual(['notes.txt']);

    sender = start(['send', join(src, 'notes.txt'), '-p', 'force-pw', ...at]);
    const forced = await start(['recv', 'force-pw', '-y', '--force', '-o', out, ...at]).done;
    expect((await sender.done).code).toBe(0);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('new notes');
  });

  it('says once, and in --help, that the default relay is a public internet relay', async () => {
    for (const cmd of ['send', 'recv']) {
      const help = await start([cmd, '--help']).done;
      expect(help.stdout).toMatch(/osau\.re:9000, (bob's )?a? ?public relay on the internet/);
    }
    // A missing path fails before anything connects: the note shows, no network is used.
    const xdg = { XDG_CONFIG_HOME: join(sub(), 'xdg') };
    const first = await start(['send', join(dir, 'nope')], undefined, xdg).done;
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(/goes through osau\.re:9000, bob's public relay on the internet/);
    const second = await start(['send', join(dir, 'nope')], undefined, xdg).done;
    expect(second.code).toBe(2);
    expect(second.stderr).not.toMatch(/public relay/);
  });

  it('a symbolic link in a sent folder is reported, not silently skipped', async () => {
    const src = sub();
    const out = sub();
    const folder = join(src, 'album');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.txt'), 'a');
    symlinkSync('/etc/hostname', join(folder, 'outside'));
    const sender = start(['send', folder, '-p', 'symlink-pw', ...at]);
    const got = await start(['recv', 'symlink-pw', '-y', '-o', out, ...at]).done;
    const sent = await sender.done;
    expect(got.code, got.stderr).toBe(0);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toMatch(/Skipped symbolic link outside \(not sent\)/);
    expect(readdirSync(join(out, 'album'))).toEqual(['a.txt']);
  });

  it('usage errors: a missing path, a URL as relay, no password on an empty stdin', async () => {
    const missing = await start(['send', join(dir, 'nope'), ...at]).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
    const url = await start(['send', join(dir, 'nope'), '--relay', 'ws://127.0.0.1:1/x']).done;
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/give --relay host:port/);
    // A port out of range is a usage error, found before a password is drawn and printed.
    const src = sub();
    writeFileSync(join(src, 'f.txt'), 'f');
    const badPort = await start(['send', join(src, 'f.txt'), '--relay', '127.0.0.1:99999']).done;
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(
      /--relay: 127\.0\.0\.1:99999: the port is a whole number from 1 to 65535/,
    );
    expect(badPort.stdout).toBe('');
    const badEnv = await start(['recv', 'pw', '-y'], undefined, { PEERWIRE_BOB_RELAY: 'relay:x' })
      .done;
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/PEERWIRE_BOB_RELAY: relay:x: the port/);
    const nopw = await start(['recv', ...at], '').done;
    expect(nopw.code).toBe(2);
    expect(nopw.stderr).toMatch(/no password given/);
    const down = await start(['recv', 'pw', '-y', '--relay', '127.0.0.1:1']).done;
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/cannot connect to 127\.0\.0\.1:1/);
  });
});
