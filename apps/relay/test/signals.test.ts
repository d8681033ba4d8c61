import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/**
 * Starts the daemon in memory on a free loopback port, waits for its "listening" log line, sends
 * `signal` and resolves with the exit code, the signal that killed it (if any) and its log.
 */
function stopWith(signal: NodeJS.Signals) {
  return new Promise<{ code: number | null; killedBy: NodeJS.Signals | null; log: string }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          main,
          '--memory',
          '--host',
          '127.0.0.1',
          '-p',
          '0',
          '--no-bob',
          '--ptpchat-port',
          '0',
          '--ptpchat-udp-port',
          '0',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let log = '';
      let sent = false;
      const onData = (chunk: Buffer) => {
        log += chunk.toString('utf8');
        if (!sent && /listening/.test(log)) {
          sent = true;
          child.kill(signal);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`relay did not stop within 20 s; log:\n${log}`));
      }, 20_000);
      child.on('error', reject);
      child.on('close', (code, killedBy) => {
        clearTimeout(timer);
        resolve({ code, killedBy, log });
      });
    },
  );
}

describe('signal stop', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} stops the relay cleanly with exit code 0`, async () => {
      const { code, killedBy, log } = await stopWith(signal);
      expect(killedBy).toBeNull();
      expect(code).toBe(0);
      expect(log).toContain('"msg":"signal received"');
      expect(log).toContain('"msg":"relay stopped"');
    }, 30_000);
  }
});
