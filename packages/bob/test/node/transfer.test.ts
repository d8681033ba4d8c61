import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatBytes, utf8Encode } from '@peerwire/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRejectsCode } from '../../../../tooling/test-helpers.js';
import {
  BobClient,
  BobError,
  BobServer,
  CLOSE_RECORD,
  encodeRoot,
  encodeTree,
  generateSecret,
  noblePrimitives,
  ObjectType,
  objectId,
  RecordOpener,
  RecordSealer,
  recordKeys,
} from '../../src/index.js';
import { encodeObjectHeader, zlibDeflate } from '../../src/internal.js';
import { connectBobTcp } from '../../src/node/connection.js';
import { openSecureRoom, runHandshake } from '../../src/node/handshake.js';
import {
  nodePrimitives,
  nodeRandom,
  type RunningBobRelay,
  receive,
  type SendEvent,
  sendPath,
  startBobRelay,
} from '../../src/node/index.js';
import { buildPack } from '../helpers.js';

let relay: RunningBobRelay;
let work: string;
let dirs = 0;

beforeAll(async () => {
  relay = await startBobRelay({ host: '127.0.0.1', port: 0, securePort: 0 });
  work = await mkdtemp(join(tmpdir(), 'bob-e2e-'));
});
afterAll(async () => {
  await relay.close();
  await rm(work, { recursive: true, force: true });
});

async function dir(): Promise<string> {
  const d = join(work, `d${dirs++}`);
  await mkdir(d);
  return d;
}

const at = () => ({ relay: `127.0.0.1:${relay.ports.handshake}`, securePort: relay.ports.secure });

describe('end to end over loopback TCP', () => {
  it('sends a file', async () => {
    const src = await dir();
    const out = await dir();
    const content = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(join(src, 'photo.jpg'), content);
    const events: SendEvent[] = [];
    let progressSeen = 0;
    const [sent, got] = await Promise.all([
      sendPath(join(src, 'photo.jpg'), { ...at(), onEvent: (e) => events.push(e) }),
      (async () => {
        // Receive with the generated password, as a user typing it would.
        while (!events.some((e) => e.type === 'password'))
          await new Promise((r) => setTimeout(r, 5));
        const e = events.find((x) => x.type === 'password') as { password: string };
        return receive(e.password, { ...at(), outDir: out, onProgress: () => progressSeen++ });
      })(),
    ]);
    expect(got).toMatchObject({ kind: 'file', name: 'photo.jpg', bytes: content.length, files: 1 });
    expect(got.path).toBe(join(out, 'photo.jpg'));
    expect(Buffer.compare(await readFile(got.path), content)).toBe(0);
    expect(sent).toMatchObject({ kind: 'file', bytes: content.length, confirmed: true });
    expect(sent.password).toMatch(/^[a-z]+-[a-z]+$/);
    expect(sent.peerIdentity).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(progressSeen).toBeGreaterThan(1);
    expect(await readdir(out)).toEqual(['photo.jpg']);
    expect(relay.stats.bytesPiped).toBeGreaterThan(content.length);
  });

  it('sends a folder tree (dotfiles skipped, empty files, shared contents, uncompressed)', async () => {
    const src = await dir();
    const out = await dir();
    const root = join(src, 'project');
    await mkdir(join(root, 'docs', 'deep', 'er'), { recursive: true });
    await mkdir(join(root, 'empty'));
    await mkdir(join(root, '.git'));
    await writeFile(join(root, '.env'), 'SECRET=1');
    await writeFile(join(root, '.git', 'config'), 'x');
    await writeFile(join(root, 'readme.md'), '# hi\n');
    await writeFile(join(root, 'docs', 'copy.md'), '# hi\n');
    await writeFile(join(root, 'docs', 'zero'), '');
    const big = randomBytes(500_000);
    await writeFile(join(root, 'docs', 'deep', 'er', 'big.bin'), big);
    await symlink('/etc/passwd', join(root, 'link'));
    await symlink('../../readme.md', join(root, 'docs', 'deep', 'up'));
    const events: SendEvent[] = [];
    const [sent, got] = await Promise.all([
      sendPath(root, {
        ...at(),
        password: 'folder-pw',
        compression: false,
        onEvent: (e) => events.push(e),
      }),
      receive('folder-pw', { ...at(), outDir: out }),
    ]);
    expect(sent.kind).toBe('folder');
    // Symbolic links are not sent, and the sender is told which (issue 15: not silently).
    expect(events.filter((e) => e.type === 'skipped')).toEqual([
      { type: 'skipped', path: 'docs/deep/up', reason: 'symlink' },
      { type: 'skipped', path: 'link', reason: 'symlink' },
    ]);
    expect(got).toMatchObject({ kind: 'folder', name: 'project', files: 4, bytes: 500_000 + 10 });
    const base = join(out, 'project');
    expect((await readdir(base)).sort()).toEqual(['docs', 'empty', 'readme.md']);
    expect(await readFile(join(base, 'docs', 'copy.md'), 'utf8')).toBe('# hi\n');
    expect(await readFile(join(base, 'readme.md'), 'utf8')).toBe('# hi\n');
    expect((await readFile(join(base, 'docs', 'zero'))).length).toBe(0);
    expect(Buffer.compare(await readFile(join(base, 'docs', 'deep', 'er', 'big.bin')), big)).toBe(
      0,
    );
    expect(await readdir(out)).toEqual(['project']); // no temporary leftovers
  });

  it('wrong password: the receiver reports WRONG_PASSWORD, the sender sees the attempt', async () => {
    const src = await dir();
    const out = await dir();
    await writeFile(join(src, 'f.txt'), 'data');
    const abort = new AbortController();
    const events: SendEvent[] = [];
    const sending = sendPath(join(src, 'f.txt'), {
      ...at(),
      password: 'right-one',
      signal: abort.signal,
      onEvent: (e) => events.push(e),
    });
    while (!events.some((e) => e.type === 'identity')) await new Promise((r) => setTimeout(r, 5));
    const error = await expectRejectsCode(
      () => receive('wrong-one', { ...at(), outDir: out, wrongPasswordGraceMs: 200 }),
      BobError,
      'WRONG_PASSWORD',
    );
    expect(error.message).toContain('wrong password');
    expect(events).toContainEqual(expect.objectContaining({ type: 'attempt-failed', failure: 1 }));
    abort.abort();
    await expectRejectsCode(() => sending, BobError, 'ABORTED');
    expect(await readdir(out)).toEqual([]);
  });

  it('the receiver refuses: both sides report REFUSED', async () => {
    const src = await dir();
    const out = await dir();
    await writeFile(join(src, 'f.txt'), 'data');
    let asked = '';
    const sending = sendPath(join(src, 'f.txt'), { ...at(), password: 'pw-refuse' });
    const receiving = receive('pw-refuse', {
      ...at(),
      outDir: out,
      accept: (identity) => {
        asked = identity;
        return false;
      },
    });
    await expectRejectsCode(() => receiving, BobError, 'REFUSED');
    await expectRejectsCode(() => sending, BobError, 'REFUSED');
    expect(asked).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await readdir(out)).toEqual([]);
  });

  it('relay timeout: a sender alone gets RELAY_TIMEOUT', async () => {
    const quick = await startBobRelay({
      host: '127.0.0.1',
      port: 0,
      securePort: 0,
      limits: { idleTimeoutMs: 300 },
    });
    try {
      const src = await dir();
      await writeFile(join(src, 'f.txt'), 'data');
      await expectRejectsCode(
        () =>
          sendPath(join(src, 'f.txt'), {
            relay: `127.0.0.1:${quick.ports.handshake}`,
            securePort: quick.ports.secure,
            password: 'alone',
          }),
        BobError,
        'RELAY_TIMEOUT',
      );
      expect(quick.stats.timeouts).toBe(1);
    } finally {
      await quick.close();
    }
  });

  it('a tampered record is detected and nothing is left looking complete', async () => {
    const src = await dir();
    const out = await dir();
    await writeFile(join(src, 'f.bin'), randomBytes(400_000));
    // The receiver reaches the secure room through a proxy that flips one byte far into the stream.
    const proxy = await flipProxy(relay.ports.secure, 200_000);
    try {
      const sending = sendPath(join(src, 'f.bin'), { ...at(), password: 'pw-tamper' });
      const error = await expectRejectsCode(
        () => receive('pw-tamper', { ...at(), securePort: proxy.port, outDir: out }),
        BobError,
        'TAMPERED',
      );
      expect(error.message).toContain('modified');
      await sending.catch(() => {});
      expect(await readdir(out)).toEqual([]);
    } finally {
      proxy.server.close();
    }
  });

  it('a transfer cut in the middle is reported as TRUNCATED and leaves nothing', async () => {
    const src = await dir();
    const out = await dir();
    await writeFile(join(src, 'f.bin'), randomBytes(400_000));
    const proxy = await flipProxy(relay.ports.secure, 200_000, 'cut');
    try {
      const sending = sendPath(join(src, 'f.bin'), { ...at(), password: 'pw-cut' });
      await expectRejectsCode(
        () => receive('pw-cut', { ...at(), securePort: proxy.port, outDir: out }),
        BobError,
        'TRUNCATED',
      );
      await sending.catch(() => {});
      expect(await readdir(out)).toEqual([]);
    } finally {
      proxy.server.close();
    }
  });

  it('a hostile folder pack with ../ names is rejected and writes nothing', async () => {
    const out = await dir();
    const blob = utf8Encode('pwned');
    const entries = concatBytes(
      utf8Encode('100644 ../../escaped.txt\0'),
      objectId(ObjectType.Blob, blob),
    );
    const pack = buildPack([
      {
        type: 1,
        content: encodeRoot({
          name: 'innocent',
          tree: objectId(ObjectType.Tree, entries),
          count: 3,
        }),
      },
      { type: 2, content: entries },
      { type: 3, content: blob },
    ]);
    const sending = sendRawPack('pw-hostile', pack);
    await expectRejectsCode(
      () => receive('pw-hostile', { ...at(), outDir: out }),
      BobError,
      'UNSAFE_PATH',
    );
    await sending.catch(() => {});
    expect(await readdir(out)).toEqual([]);
    expect(await readdir(work)).not.toContain('escaped.txt');
  });

  it('close({ graceMs }) lets a transfer under way finish and cuts waiting peers at once', async () => {
    const own = await startBobRelay({ host: '127.0.0.1', port: 0, securePort: 0 });
    const on = { relay: `127.0.0.1:${own.ports.handshake}`, securePort: own.ports.secure };
    const src = await dir();
    const out = await dir();
    const content = randomBytes(24 * 1024 * 1024);
    await writeFile(join(src, 'big.bin'), content);
    await writeFile(join(src, 'small.txt'), 'x');
    const lonely = sendPath(join(src, 'small.txt'), { ...on, password: 'nobody-comes' });
    lonely.catch(() => {});
    let closing: Promise<void> | undefined;
    const [sent, got] = await Promise.all([
      sendPath(join(src, 'big.bin'), { ...on, password: 'pw-grace', compression: false }),
      receive('pw-grace', {
        ...on,
        outDir: out,
        onProgress: (p) => {
          // Shut the relay down as soon as bytes flow.
          if (p.phase === 'transfer' && p.bytes > 0 && !closing)
            closing = own.close({ graceMs: 30_000 });
        },
      }),
    ]);
    await closing;
    expect(closing).toBeDefined();
    expect(sent.confirmed).toBe(true);
    expect((await readFile(got.path)).equals(content)).toBe(true);
    // The sender that was still waiting for a partner was cut when the relay began to close.
    await expectRejectsCode(() => lonely, BobError, 'RELAY_CLOSED');
  });

  it('a sender that stops mid-transfer is reported as stopped on the receiver, not as tampering', async () => {
    const src = await dir();
    const out = await dir();
    // 64 MiB: more than the sockets and the relay can hold in flight, so the sender, which
    // stops before its next ~1 MiB piece, cannot have sent everything when it sees the stop.
    await writeFile(join(src, 'big.bin'), randomBytes(64 * 1024 * 1024));
    const abort = new AbortController();
    const sending = sendPath(join(src, 'big.bin'), {
      ...at(),
      password: 'pw-sender-stops',
      compression: false,
      signal: abort.signal,
    });
    sending.catch(() => {});
    const error = await expectRejectsCode(
      () =>
        receive('pw-sender-stops', {
          ...at(),
          outDir: out,
          onProgress: (p) => {
            if (p.phase === 'transfer' && p.bytes > 0) abort.abort();
          },
        }),
      BobError,
      'PEER_STOPPED',
    );
    expect(error.message).toBe('the sender stopped the transfer before everything arrived');
    await expectRejectsCode(() => sending, BobError, 'ABORTED');
    expect(await readdir(out)).toEqual([]);
  });

  it('a receiver that stops mid-transfer is reported as stopped on the sender, not as a broken relay', async () => {
    const src = await dir();
    const out = await dir();
    await writeFile(join(src, 'big.bin'), randomBytes(16 * 1024 * 1024));
    const abort = new AbortController();
    const sending = sendPath(join(src, 'big.bin'), {
      ...at(),
      password: 'pw-receiver-stops',
      compression: false,
    });
    sending.catch(() => {});
    await expectRejectsCode(
      () =>
        receive('pw-receiver-stops', {
          ...at(),
          outDir: out,
          signal: abort.signal,
          onProgress: (p) => {
            if (p.phase === 'transfer' && p.bytes > 0) abort.abort();
          },
        }),
      BobError,
      'ABORTED',
    );
    const error = await expectRejectsCode(() => sending, BobError, 'PEER_STOPPED');
    expect(error.message).toBe('the receiver stopped the transfer');
    expect(await readdir(out)).toEqual([]);
  });

  it('never overwrites an existing file without force', async () => {
    const src = await dir();
    const out = await dir();
    await writeFile(join(src, 'same.txt'), 'new contents');
    await writeFile(join(out, 'same.txt'), 'precious');
    const sending = sendPath(join(src, 'same.txt'), { ...at(), password: 'pw-exists' });
    sending.catch(() => {});
    await expectRejectsCode(
      () => receive('pw-exists', { ...at(), outDir: out }),
      BobError,
      'FILE_EXISTS',
    );
    // The sender learns of the refusal (issue 15 item 8): no "sent" with exit 0.
    const refused = await expectRejectsCode(() => sending, BobError, 'REFUSED');
    expect(refused.message).toBe(
      'the receiver refused the transfer: the file already exists there',
    );
    expect(await readFile(join(out, 'same.txt'), 'utf8')).toBe('precious');
    expect(await readdir(out)).toEqual(['same.txt']);
    const [, got] = await Promise.all([
      sendPath(join(src, 'same.txt'), { ...at(), password: 'pw-force' }),
      receive('pw-force', { ...at(), outDir: out, force: true }),
    ]);
    expect(await readFile(got.path, 'utf8')).toBe('new contents');
  });

  it('refuses an existing folder as soon as the root names it, not after the whole folder', async () => {
    const out = await dir();
    await mkdir(join(out, 'album'));
    await writeFile(join(out, 'album', 'keep.txt'), 'precious');
    const big = randomBytes(8 * 1024 * 1024);
    const tree = encodeTree([
      { name: 'big.bin', kind: 'file', id: objectId(ObjectType.Blob, big) },
    ]);
    // The root first, then 8 MiB: the receiver must stop at the root.
    const pack = buildPack(
      [
        {
          type: 1,
          content: encodeRoot({ name: 'album', tree: objectId(ObjectType.Tree, tree), count: 3 }),
        },
        { type: 2, content: tree },
        { type: 3, content: big },
      ],
      0,
    );
    const sending = sendRawPack('pw-folder-exists', pack).catch(() => {});
    let received = 0;
    await expectRejectsCode(
      () =>
        receive('pw-folder-exists', {
          ...at(),
          outDir: out,
          onProgress: (p) => {
            received = p.bytes;
          },
        }),
      BobError,
      'FILE_EXISTS',
    );
    await sending;
    expect(received).toBeLessThan(1024 * 1024);
    expect(await readdir(out)).toEqual(['album']);
    expect(await readdir(join(out, 'album'))).toEqual(['keep.txt']);
  });

  it("finishes as soon as the PACK is complete: bob's sender sends no close marker", async () => {
    const content = randomBytes(200_000);
    const tree = encodeTree([
      { name: 'a.bin', kind: 'file', id: objectId(ObjectType.Blob, content) },
    ]);
    const folder = buildPack([
      {
        type: 1,
        content: encodeRoot({ name: 'quiet', tree: objectId(ObjectType.Tree, tree), count: 3 }),
      },
      { type: 2, content: tree },
      { type: 3, content },
    ]);
    const file = buildPack([
      { type: 4, content: utf8Encode('quiet.bin') },
      { type: 3, content },
    ]);
    const cases = [
      { pack: file, primitives: nodePrimitives, kind: 'file' },
      { pack: file, primitives: noblePrimitives, kind: 'file' },
      { pack: folder, primitives: nodePrimitives, kind: 'folder' },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const out = await dir();
      // The sender stays connected after the trailer, like bob: only the receiver can end it.
      const sending = sendRawPack(`pw-quiet-${i}`, c.pack, { close: false });
      const got = await receive(`pw-quiet-${i}`, {
        ...at(),
        outDir: out,
        primitives: c.primitives,
      });
      expect(got.kind).toBe(c.kind);
      const saved = c.kind === 'file' ? got.path : join(got.path, 'a.bin');
      expect((await readFile(saved)).equals(content)).toBe(true);
      // The receiver's close (relayed as ff ff ff ff) is what ends the sender.
      expect(await sending).toBe(true);
    }
  });

  it("seals a record per PACK piece, as bob does (bob's receiver relies on it)", async () => {
    const src = await dir();
    const content = randomBytes(100_000);
    await writeFile(join(src, 'report.pdf'), content);
    const [, lengths] = await Promise.all([
      sendPath(join(src, 'report.pdf'), { ...at(), password: 'pw-pieces' }),
      receiveRecordLengths('pw-pieces'),
    ]);
    const name = zlibDeflate(utf8Encode('report.pdf'));
    // PACK header, the name's entry header, its zlib stream, the blob's entry header, ...
    expect(lengths.slice(0, 4)).toEqual([
      12,
      1,
      name.length,
      encodeObjectHeader(ObjectType.Blob, content.length).length,
    ]);
    // ... the blob's zlib stream in records of at most 0x7fff bytes, then the trailer alone.
    expect(lengths.at(-1)).toBe(20);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(0x7fff);
  });

  it('a folder built with OFS deltas (as bob sends with compression) is received', async () => {
    const out = await dir();
    const v1 = utf8Encode('hello world, hello bob\n'.repeat(20));
    const v2 = concatBytes(v1, utf8Encode('one more line\n'));
    const { encodeDelta } = await import('../helpers.js');
    const delta = encodeDelta(v1.length, v2.length, [
      { copy: [0, v1.length] },
      { insert: utf8Encode('one more line\n') },
    ]);
    const tree = encodeTree([
      { name: 'v1.txt', kind: 'file', id: objectId(ObjectType.Blob, v1) },
      { name: 'v2.txt', kind: 'file', id: objectId(ObjectType.Blob, v2) },
    ]);
    const pack = buildPack([
      {
        type: 1,
        content: encodeRoot({ name: 'versions', tree: objectId(ObjectType.Tree, tree), count: 4 }),
      },
      { type: 3, content: v1 },
      { type: 6, baseIndex: 1, delta },
      { type: 2, content: tree },
    ]);
    const sending = sendRawPack('pw-delta', pack);
    const got = await receive('pw-delta', { ...at(), outDir: out });
    await sending;
    expect(got).toMatchObject({ kind: 'folder', name: 'versions', files: 2 });
    expect(await readFile(join(out, 'versions', 'v2.txt'), 'utf8')).toBe(
      new TextDecoder().decode(v2),
    );
  });
});

/**
 * A sender that puts an arbitrary PACK on the wire (for hostile and delta tests). With
 * `close: false` it sends no close marker after the PACK, as bob's sender does, and resolves
 * whether the receiver's close marker then arrived.
 */
async function sendRawPack(
  password: string,
  pack: Uint8Array,
  options: { close?: boolean } = {},
): Promise<boolean> {
  const socket = await connectBobTcp('127.0.0.1', relay.ports.handshake);
  const secret = generateSecret(password, { salt: nodeRandom(16) });
  const result = await runHandshake(socket, new BobServer({ secret, random: nodeRandom }));
  const room = await openSecureRoom('127.0.0.1', relay.ports.secure, result.peerIdentity);
  const keys = recordKeys(result.sharedKeys, result.ciphers, 'sender');
  const sealer = new RecordSealer(keys.send, nodePrimitives.aead);
  const records = [...sealer.write(pack)];
  records.push(...(options.close === false ? sealer.flush() : sealer.close()));
  for (const r of records) room.socket.write(r);
  // Read the close markers until the relay closes the connection.
  const opener = new RecordOpener(keys.receive, nodePrimitives.aead, { allowData: false });
  let closed = false;
  for (let chunk = await room.reader.read().catch(() => null); chunk; ) {
    if (opener.push(chunk).some((e) => e.type === 'close')) closed = true;
    chunk = await room.reader.read().catch(() => null);
  }
  room.socket.destroy();
  return closed;
}

/** A receiver that records the plaintext length of every record the sender seals. */
async function receiveRecordLengths(password: string): Promise<number[]> {
  const socket = await connectBobTcp('127.0.0.1', relay.ports.handshake);
  const result = await runHandshake(socket, new BobClient({ password, random: nodeRandom }));
  const room = await openSecureRoom('127.0.0.1', relay.ports.secure, result.peerIdentity);
  const keys = recordKeys(result.sharedKeys, result.ciphers, 'receiver');
  const opener = new RecordOpener(keys.receive, nodePrimitives.aead);
  const lengths: number[] = [];
  for (let chunk = await room.reader.read(); chunk; chunk = await room.reader.read()) {
    const events = opener.push(chunk);
    for (const e of events) if (e.type === 'data') lengths.push(e.bytes.length);
    if (events.some((e) => e.type === 'close')) break;
  }
  room.socket.write(CLOSE_RECORD);
  room.socket.end();
  return lengths;
}

/**
 * A TCP proxy to `port` that flips one bit of the byte at `offset` (counted from the relay side),
 * or with `cut`, ends the connection to the client cleanly right before that byte.
 */
async function flipProxy(
  port: number,
  offset: number,
  mode: 'flip' | 'cut' = 'flip',
): Promise<{ server: Server; port: number }> {
  const conns: Socket[] = [];
  const server = createServer((client) => {
    const upstream = netConnect(port, '127.0.0.1');
    conns.push(client, upstream);
    let seen = 0;
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (seen <= offset && offset < seen + chunk.length) {
        if (mode === 'cut') {
          client.end(chunk.subarray(0, offset - seen));
          upstream.destroy();
          seen += chunk.length;
          return;
        }
        chunk[offset - seen]! ^= 0x01;
      }
      seen += chunk.length;
      if (seen <= offset || mode === 'flip') client.write(chunk);
    });
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
  });
  server.on('close', () => {
    for (const c of conns) c.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}
