import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RELAY_LIMITS } from '@peerwire/relay';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  configFromEnv,
  configFromFile,
  describeConfig,
  resolveConfig,
} from '../src/config.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const runDaemon = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', main, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('configuration layers', () => {
  it('has safe embedded defaults', () => {
    const c = resolveConfig();
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      dataDir: './data',
      memory: false,
      logLevel: 'info',
    });
    expect(c.limits).toEqual({});
  });

  it('file < env < flags, limits merged key by key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-config-'));
    try {
      const file = join(dir, 'relay.json');
      writeFileSync(
        file,
        JSON.stringify({
          port: 1000,
          host: '127.0.0.1',
          limits: { maxConnections: 10, maxConnectionsPerIp: 5 },
        }),
      );
      const env = configFromEnv({
        PEERWIRE_PORT: '2000',
        PEERWIRE_LIMIT_MAX_CONNECTIONS_PER_IP: '7',
        PEERWIRE_PUBLIC_HOSTS: 'a.example, b.example',
      });
      const c = resolveConfig(configFromFile(file), env, { port: 3000 });
      expect(c.port).toBe(3000);
      expect(c.host).toBe('127.0.0.1');
      expect(c.publicHosts).toEqual(['a.example', 'b.example']);
      expect(c.limits).toEqual({ maxConnections: 10, maxConnectionsPerIp: 7 });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('names the bad option and where it came from', () => {
    expect(() => configFromEnv({ PEERWIRE_PORT: 'eighty' })).toThrow(
      /PEERWIRE_PORT: "eighty" is not a number/,
    );
    expect(() => configFromEnv({ PEERWIRE_MEMORY: 'maybe' })).toThrow(
      /PEERWIRE_MEMORY.*not a boolean/,
    );
    expect(() => resolveConfig({ port: 70000 })).toThrow(ConfigError);
    expect(() => resolveConfig({ port: 70000 })).toThrow(/port/);
    expect(() => resolveConfig({ limits: { maxConnections: -1 } })).toThrow(
      /limits\.maxConnections/,
    );
    expect(() => resolveConfig({ limits: { noSuchLimit: 1 } })).toThrow(/noSuchLimit|Unrecognized/);
    expect(() => resolveConfig({ prot: 1 })).toThrow(/prot|Unrecognized/);
    expect(() => resolveConfig({ serverCode: 'a.b' })).toThrow(/serverCode/);
    expect(() => configFromFile('/nonexistent/relay.json')).toThrow(/cannot read config file/);
  });

  it('documents every option and every limit', () => {
    const text = describeConfig();
    for (const name of [
      'host',
      'port',
      'dataDir',
      'memory',
      'serverCode',
      'publicHosts',
      'tlsCert',
      'logLevel',
      'shutdownGraceMs',
    ]) {
      expect(text).toContain(name);
    }
    for (const limit of Object.keys(DEFAULT_RELAY_LIMITS)) expect(text).toContain(limit);
    expect(text).toContain('PEERWIRE_LIMIT_MAX_CONNECTIONS_PER_IP');
  });
});

describe('the daemon process', () => {
  it('exits 2 with a clear message on a bad option', () => {
    const r = runDaemon(['--memory'], { PEERWIRE_PORT: 'eighty' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/PEERWIRE_PORT: "eighty" is not a number/);
    expect(r.stderr).toMatch(/--help-config/);
  });

  it('exits 2 (usage) on an out-of-range port or an unknown flag, as the README says', () => {
    const badPort = runDaemon(['--memory', '-p', '99999']);
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toMatch(/a port is an integer from 0 to 65535/);
    const unknown = runDaemon(['--memory', '--no-such-flag']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it('explains a port that is already in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = runDaemon([
        '--memory',
        '--no-bob',
        '--no-ptpchat',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
      ]);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('prints the option reference', () => {
    const r = runDaemon(['--help-config']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/maxConnectionsPerIp/);
  });
});
