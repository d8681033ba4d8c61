// Load-generator helpers shared by the relay daemon benches: relay daemons in their own
// processes, Spot clients over loopback WebSocket, CPU and memory readings from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey, IDCard, Keychain, signHandshake } from '@peerwire/crypto';
import { decodeHandshakeRequest, encodeHandshakeResponse, PacketType } from '@peerwire/wire';
import WebSocket from 'ws';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Limits lifted so that the relay's own costs, not its abuse limits, set the pace. */
export const BENCH_ENV = {
  PEERWIRE_LIMIT_MAX_CONNECTIONS_PER_IP: '100000',
  PEERWIRE_LIMIT_MESSAGES_PER_SECOND: '1000000',
  PEERWIRE_LIMIT_MESSAGE_BURST: '1000000',
  PEERWIRE_LIMIT_BYTES_PER_SECOND: '1000000000',
  PEERWIRE_LIMIT_BYTE_BURST: '1000000000',
  PEERWIRE_LIMIT_HANDSHAKE_TIMEOUT_MS: '120000',
};

/** Starts `peerwire-relay` (dist/main.js, in memory, on a free loopback port) with `args`. */
export async function startRelayProcess(
  args: readonly string[] = [],
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      // e.g. BENCH_RELAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (written on stop)
      ...(process.env.BENCH_RELAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      here('../dist/main.js'),
      '--memory',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--log-level',
      'info',
      '--no-bob',
      '--no-ptpchat',
      ...args,
    ],
    { env: { ...process.env, ...BENCH_ENV }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
  child.stdout!.resume();
  return { child, port };
}

/** Stops a bench child (SIGTERM, SIGKILL after 5 s) and waits for it to be gone. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

export interface Identity {
  self: Awaited<ReturnType<typeof generatePrivateKey>>;
  blob: Uint8Array;
  address: string;
}

/** A fresh P-256 identity with its signed IDCard. */
export async function identity(): Promise<Identity> {
  const self = await generatePrivateKey('P-256');
  const card = IDCard.create(self.publicKey).addKeychain(new Keychain().add(self));
  return { self, blob: await card.sign(self), address: card.address };
}

/** A raw WebSocket client (no Spot). */
export function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Opens a Spot connection and completes the handshake; resolves when online. */
export function spotConnect(
  url: string,
  id: Identity,
  onMessage?: (data: Buffer) => void,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    ws.once('error', reject);
    ws.on('message', (data: Buffer) => {
      if (data[0] !== PacketType.Handshake) {
        onMessage?.(data);
        return;
      }
      const req = decodeHandshakeRequest(new Uint8Array(data.buffer, data.byteOffset, data.length));
      if (req.ready) resolve(ws);
      else
        void signHandshake({ raw: req.raw }, id.self, id.blob).then((res) =>
          ws.send(encodeHandshakeResponse(res)),
        );
    });
  });
}

/** Resident memory of a process (KiB). */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

/** CPU seconds of a process (all threads), or of its main thread (the event loop) alone. */
export function cpuSeconds(pid: number, mainThreadOnly = false): number {
  const path = mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
}

/** The `p`th percentile (0–100) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
