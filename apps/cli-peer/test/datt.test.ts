// End-to-end tests of `peerwire datt`: real CLI processes against the Datt node of a real
// peerwire-relay process (with prices) and against `peerwire datt serve`, on loopback.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keychain } from '@peerwire/crypto';
import {
  addressFromPublicKey,
  addressToString,
  encodeDmsg,
  publicKeyOf,
  serializeTransaction,
  sha256,
} from '@peerwire/datt';
import { fromHex, toHex, utf8Encode } from '@peerwire/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { looksLikePath } from '../src/commands/datt.js';
import { type RelayProcess, startRelayProcess } from './relay-process.js';

const cliMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));

const POST_PRICE = 500n;
const GET_PRICE = 1500n;
const operatorAddress = addressFromPublicKey(publicKeyOf(sha256(utf8Encode('datt cli operator'))));

let dir: string;
let relay: RelayProcess;
let relayHttp: string;
let relayNode: string;
const children: ChildProcess[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliMain, ...args], {
      env: {
        ...process.env,
        XDG_CONFIG_HOME: join(dir, 'xdg'),
        XDG_DATA_HOME: join(dir, 'data'),
        PEERWIRE_PASSPHRASE: '',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const kc = (name: string) => ['--keychain', join(dir, name)];
/** The JSON lines a `--json` run printed. */
const json = (r: Run) =>
  r.stdout
    .trim()
    .split('\n')
    // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, read field by field
    .map((l) => JSON.parse(l) as Record<string, any>);

/** A raw transaction (one fake input) paying `amount` to a 21-byte address, in hex. */
function payment(amount: bigint, address: Uint8Array, salt: number): string {
  return toHex(
    serializeTransaction({
      version: 1,
      inputs: [
        {
          prevTxid: new Uint8Array(32).fill(salt),
          prevIndex: 0,
          script: new Uint8Array(0),
          sequence: 0xffffffff,
        },
      ],
      outputs: [
        {
          value: amount,
          scriptPubKey: Uint8Array.of(0x76, 0xa9, 0x14, ...address.subarray(1), 0x88, 0xac),
        },
      ],
      lockTime: 0,
    }),
  );
}

/** Waits for a line matching `pattern` on a child's stdout. */
function line(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = pattern.exec(buf);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`process exited with ${code}: ${buf}`)));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerwire-cli-datt-'));
  relay = startRelayProcess([
    '--no-bob',
    '--datt',
    '--datt-port',
    '0',
    '--datt-ws-port',
    '0',
    '--datt-post-price',
    `${POST_PRICE}`,
    '--datt-get-price',
    `${GET_PRICE}`,
    '--datt-pay-to',
    addressToString(operatorAddress),
  ]);
  const datt = relay.output(
    /datt node listening on tcp:\/\/127\.0\.0\.1:(\d+) and ws:\/\/127\.0\.0\.1:(\d+)/,
  );
  const http = relay.output(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const [d, h] = await Promise.all([datt, http]);
  relayNode = `127.0.0.1:${d[1]}`;
  relayHttp = `http://127.0.0.1:${h[1]}`;
  expect((await run(['id', 'new', ...kc('alice')])).code).toBe(0);
  expect((await run(['datt', 'key', '--new', ...kc('alice')])).code).toBe(0);
});

afterAll(() => {
  for (const c of children) c.kill('SIGTERM');
  relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The Datt keys and the Spot key count of a keychain file, read in this process. */
async function keysIn(name: string, passphrase?: string) {
  const keychain = await Keychain.fromBytes(
    new Uint8Array(readFileSync(join(dir, name))),
    passphrase === undefined ? {} : { passphrase },
  );
  return { spot: keychain.size, datt: keychain.secp256k1Keys().map((k) => toHex(publicKeyOf(k))) };
}

describe('peerwire datt key', () => {
  it('keeps the Datt key in the keychain file, apart from the Spot identity', async () => {
    const missing = await run(['datt', 'key', ...kc('nobody')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no keychain at .*peerwire id new/);
    await run(['id', 'new', ...kc('bob')]);
    const none = await run(['datt', 'post', 'hi', '--node', relayNode, ...kc('bob')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no Datt key; create one with: peerwire datt key --new/);
    const card = readFileSync(join(dir, 'bob.card'));

    const created = json(await run(['datt', 'key', '--new', '--json', ...kc('bob')]))[0]!;
    expect(created.publicKey).toMatch(/^0[23][0-9a-f]{64}$/);
    expect(created.address).toBe(
      addressToString(addressFromPublicKey(fromHex(created.publicKey as string))),
    );
    // In the keychain file, beside the one Spot key; the signed ID card is untouched.
    expect(await keysIn('bob')).toEqual({ spot: 1, datt: [created.publicKey] });
    expect(readFileSync(join(dir, 'bob.card')).equals(card)).toBe(true);
    const again = await run(['datt', 'key', '--new', ...kc('bob')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a Datt key; --force/);
  });

  it('is encrypted with the keychain when PEERWIRE_PASSPHRASE is set', async () => {
    const pass = { PEERWIRE_PASSPHRASE: 'datt secret' };
    expect((await run(['id', 'new', ...kc('carol')], pass)).code).toBe(0);
    const created = json(await run(['datt', 'key', '--new', '--json', ...kc('carol')], pass))[0]!;
    expect(toHex(readFileSync(join(dir, 'carol')).subarray(0, 6))).toBe('50574b430101');
    expect((await keysIn('carol', 'datt secret')).datt).toEqual([created.publicKey]);
    const locked = await run(['datt', 'key', ...kc('carol')]);
    expect(locked.code).toBe(2);
    expect(locked.stderr).toMatch(/encrypted: set PEERWIRE_PASSPHRASE/);
  });
});

describe('peerwire datt post/get against the relay Datt node (paid)', () => {
  it('asks for payment, posts and gets with transactions built here, and refuses reused or short ones', async () => {
    const node = ['--node', relayNode];
    const unpaid = await run(['datt', 'post', 'paid hello', ...node, '--json', ...kc('alice')]);
    expect(unpaid.code).toBe(10);
    const [ask, error] = json(unpaid);
    expect(ask!.paymentRequired).toMatchObject({
      amount: `${POST_PRICE}`,
      address: addressToString(operatorAddress),
    });
    expect(error!.exitCode).toBe(10);

    const postTx = payment(POST_PRICE, operatorAddress, 1);
    const posted = await run([
      'datt',
      'post',
      'paid hello',
      ...node,
      '--pay',
      postTx,
      '--json',
      ...kc('alice'),
    ]);
    expect(posted.code).toBe(0);
    const { hash, paid } = json(posted)[0]!;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(paid.amount).toBe(`${POST_PRICE}`);

    const noPay = await run(['datt', 'get', hash, ...node]);
    expect(noPay.code).toBe(10);
    expect(noPay.stderr).toMatch(
      new RegExp(`asks ${GET_PRICE} satoshis to ${addressToString(operatorAddress)}.*--pay`),
    );
    const short = await run([
      'datt',
      'get',
      hash,
      ...node,
      '--pay',
      payment(GET_PRICE - 1n, operatorAddress, 2),
    ]);
    expect(short.code).toBe(10);
    expect(short.stderr).toMatch(/does not pay that/);

    const txFile = join(dir, 'get.tx');
    const getTx = payment(GET_PRICE, operatorAddress, 3);
    writeFileSync(txFile, `${getTx}\n`);
    const got = await run(['datt', 'get', hash, ...node, '--pay', `@${txFile}`]);
    expect(got.code).toBe(0);
    expect(got.stdout).toBe('paid hello\n');

    // The node accepts each transaction once.
    const reused = await run(['datt', 'get', hash, ...node, '--pay', getTx]);
    expect(reused.code).toBe(5);
    expect(reused.stderr).toMatch(/did not accept the payment/);

    const metrics = await (await fetch(`${relayHttp}/metrics`)).text();
    expect(metrics).toMatch(/^peerwire_datt_payments_verified_total 2$/m);
    expect(metrics).toMatch(/^peerwire_datt_payments_refused_total 1$/m);
    expect(metrics).toMatch(/^peerwire_datt_content_served_total 1$/m);
  });

  it('keeps serving the CLI after hostile peers, and reports bad input with distinct exit codes', async () => {
    const [host, port] = relayNode.split(':') as [string, string];
    const hostile = (payload: Uint8Array) =>
      new Promise<void>((resolve) => {
        const socket = connect(Number(port), host, () => socket.write(payload));
        socket.on('data', () => {});
        socket.on('error', () => {});
        socket.on('close', () => resolve());
      });
    await hostile(utf8Encode('\u0000\u0001garbage that is not a DMsg at all........'));
    const oversized = encodeDmsg('postdata', new Uint8Array(0)).slice();
    new DataView(oversized.buffer).setUint32(16, 0x7fffffff, false);
    await hostile(oversized);

    const notFound = await run([
      'datt',
      'get',
      toHex(sha256(utf8Encode('nothing'))),
      '--node',
      relayNode,
    ]);
    expect(notFound.code).toBe(5);
    expect(notFound.stderr).toMatch(/does not have this content/);
    const badHash = await run(['datt', 'get', 'abc', '--node', relayNode]);
    expect(badHash.code).toBe(2);
    const badNode = await run(['datt', 'get', 'ab'.repeat(32), '--node', 'no-port']);
    expect(badNode.code).toBe(2);
    for (const node of ['127.0.0.1:99999', 'tcp://127.0.0.1', 'ws://127.0.0.1:99999/']) {
      const outOfRange = await run(['datt', 'get', 'ab'.repeat(32), '--node', node]);
      expect(outOfRange.code, node).toBe(2);
      expect(outOfRange.stderr).toMatch(/is not host:port/);
    }
    const badPort = await run(['datt', 'serve', '--memory', '--port', '70000']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/a port is a whole number from 0 to 65535/);
    const offline = await run(['datt', 'get', 'ab'.repeat(32), '--node', '127.0.0.1:1']);
    expect(offline.code).toBe(3);
    expect(offline.stderr).toMatch(/cannot reach the Datt node/);

    const metrics = await (await fetch(`${relayHttp}/metrics`)).text();
    expect(metrics).toMatch(/^peerwire_datt_disconnects_total\{reason="BAD_FRAME"\} 2$/m);
  });
});

describe('peerwire datt: no silent data loss', () => {
  it('get -o refuses an existing file before asking the node', async () => {
    const existing = join(dir, 'precious.txt');
    writeFileSync(existing, 'precious\n');
    // An unreachable node: refusing first exits 1, not 3 (cannot reach the node).
    const r = await run(['datt', 'get', 'ab'.repeat(32), '--node', '127.0.0.1:1', '-o', existing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /precious\.txt already exists; nothing was overwritten \(use --force to replace it, or -o to save elsewhere\)/,
    );
    expect(readFileSync(existing, 'utf8')).toBe('precious\n');
  });

  it('tells file names from words', () => {
    for (const p of ['notes.md', 'a/b', 'C:\\x', './README', 'my notes.txt', 'example.com'])
      expect(looksLikePath(p), p).toBe(true);
    for (const w of ['hi', 'paid hello', 'see you at 5.30', 'the end.', 'e.g.', 'a\nb/c.md'])
      expect(looksLikePath(w), w).toBe(false);
  });

  it('post refuses a path-like argument naming no file, and says how to post it as text', async () => {
    for (const arg of ['nosuchfile.md', 'notes/today', join(dir, 'missing.txt')]) {
      const r = await run(['datt', 'post', arg, '--node', '127.0.0.1:1', ...kc('alice')]);
      expect(r.code, arg).toBe(2);
      expect(r.stderr, arg).toMatch(/there is no file .*; to post these words as text, use --text/);
    }
    const both = await run([
      'datt',
      'post',
      'a',
      '--text',
      'b',
      '--node',
      '127.0.0.1:1',
      ...kc('alice'),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either a file or --text <text>, not both/);
    const neither = await run(['datt', 'post', '--node', '127.0.0.1:1', ...kc('alice')]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/either a file or --text/);
  });
});

describe('peerwire datt serve', () => {
  it('runs a node that the CLI posts files and text to and gets them back from', async () => {
    const serve = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        cliMain,
        'datt',
        'serve',
        '--port',
        '0',
        '--memory',
        '--json',
        ...kc('alice'),
      ],
      { env: { ...process.env, PEERWIRE_PASSPHRASE: '' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(serve);
    const listening = await line(serve, /\{"event":"listening","tcp":(\d+)[^\n]*\}/);
    const node = ['--node', `tcp://127.0.0.1:${listening[1]}`];

    const file = join(dir, 'note.md');
    writeFileSync(file, '# A note\n\nwith two lines\n');
    const posted = json(
      await run(['datt', 'post', file, ...node, '--label', 'notes', '--json', ...kc('alice')]),
    )[0]!;
    const got = await run(['datt', 'get', posted.hash, ...node, '--json']);
    expect(got.code).toBe(0);
    const info = json(got)[0]!;
    expect(info.content).toMatchObject({
      title: 'note.md',
      label: 'notes',
      type: 'markdown',
      body: '# A note\n\nwith two lines\n',
    });
    const [author] = (await keysIn('alice')).datt;
    expect(info.author).toBe(author);
    expect(info.payoutAddress).toBe(addressToString(addressFromPublicKey(fromHex(author!))));

    const binary = join(dir, 'blob.bin');
    writeFileSync(
      binary,
      Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff),
    );
    const refused = await run(['datt', 'post', binary, ...node, ...kc('alice')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not UTF-8 text.*--raw/);
    const raw = (
      await run(['datt', 'post', binary, '--raw', ...node, ...kc('alice')])
    ).stdout.trim();
    const out = join(dir, 'blob.out');
    expect((await run(['datt', 'get', raw, ...node, '-o', out])).code).toBe(0);
    expect(toHex(readFileSync(out))).toBe(toHex(readFileSync(binary)));

    const text = (
      await run(['datt', 'post', '--text', 'just words', ...node, ...kc('alice')])
    ).stdout.trim();
    expect((await run(['datt', 'get', text, ...node])).stdout).toBe('just words\n');

    // -o never replaces a file without --force (like recv), and says so.
    const existing = join(dir, 'existing.txt');
    writeFileSync(existing, 'keep me\n');
    const kept = await run(['datt', 'get', text, ...node, '-o', existing]);
    expect(kept.code).toBe(1);
    expect(kept.stderr).toMatch(
      /existing\.txt already exists; nothing was overwritten \(use --force to replace it/,
    );
    expect(readFileSync(existing, 'utf8')).toBe('keep me\n');
    const forced = await run(['datt', 'get', text, ...node, '-o', existing, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(existing, 'utf8')).toBe('just words');

    // --text posts a path-like argument as the words themselves, even when no file has that name.
    const literal = (
      await run(['datt', 'post', '--text', 'nosuchfile.md', ...node, ...kc('alice')])
    ).stdout.trim();
    expect((await run(['datt', 'get', literal, ...node])).stdout).toBe('nosuchfile.md\n');

    const stopped = new Promise<number | null>((resolve) => serve.once('exit', resolve));
    serve.kill('SIGTERM');
    expect(await stopped).toBe(0);
  });
});
