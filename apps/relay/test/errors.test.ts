import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerwireError } from '@peerwire/wire';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BobStartError, parseBobLimitFlags } from '../src/bob.js';
import { ConfigError, configFromFile, resolveConfig } from '../src/config.js';
import { DATT_KEY_FILE, loadOrCreateKey } from '../src/datt.js';
import { DattStartError, PtpchatStartError, RepairError } from '../src/errors.js';
import { parsePtpchatLimitFlags } from '../src/ptpchat-config.js';
import { PtpchatIdentityError } from '../src/ptpchat-identity.js';
import { repairStore } from '../src/repair-store.js';

describe('daemon errors', () => {
  it('a bad --bob-limit flag is a ConfigError with code BAD_BOB_LIMIT (main exits 2 on it)', () => {
    expect(parseBobLimitFlags(['maxPeers=10'])).toEqual({ maxPeers: 10 });
    for (const bad of ['maxPeers', 'noSuchLimit=3', 'maxPeers=-1']) {
      let caught: unknown;
      try {
        parseBobLimitFlags([bad]);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect(caught).toBeInstanceOf(PeerwireError);
      expect((caught as ConfigError).code).toBe('BAD_BOB_LIMIT');
    }
  });

  it('a bad config value is a ConfigError with code BAD_CONFIG', () => {
    let caught: unknown;
    try {
      resolveConfig({ port: 70000 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PeerwireError);
    expect((caught as ConfigError).code).toBe('BAD_CONFIG');
  });

  it('BobStartError is a PeerwireError with code BOB_LISTEN_FAILED and keeps its cause', () => {
    const cause = new Error('EADDRINUSE');
    const e = new BobStartError('the bob handshake port is in use', { cause });
    expect(e).toBeInstanceOf(PeerwireError);
    expect(e.code).toBe('BOB_LISTEN_FAILED');
    expect(e.cause).toBe(cause);
  });

  it('a bad --ptpchat-limit flag is a ConfigError with code BAD_PTPCHAT_LIMIT', () => {
    let caught: unknown;
    try {
      parsePtpchatLimitFlags(['noSuchLimit=3']);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe('BAD_PTPCHAT_LIMIT');
  });

  it('ptpchat start failures are PeerwireErrors with their codes', () => {
    const identity = new PtpchatIdentityError('node-id is not a node id');
    expect(identity).toBeInstanceOf(PeerwireError);
    expect(identity.code).toBe('PTPCHAT_IDENTITY');
    const cause = new Error('EADDRINUSE');
    const listen = new PtpchatStartError('PTPCHAT_LISTEN_FAILED', 'port taken', { cause });
    expect(listen).toBeInstanceOf(PeerwireError);
    expect(listen.cause).toBe(cause);
  });
});

describe('daemon errors with codes (no plain Error)', () => {
  const catching = async (run: () => unknown): Promise<unknown> => {
    try {
      await run();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('a Datt node.key that is not a key is a DattStartError DATT_KEY_INVALID', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-datt-key-'));
    try {
      writeFileSync(join(dir, DATT_KEY_FILE), 'not hex at all\n');
      const caught = await catching(() => loadOrCreateKey(dir, pino({ level: 'silent' })));
      expect(caught).toBeInstanceOf(DattStartError);
      expect((caught as DattStartError).code).toBe('DATT_KEY_INVALID');
      expect((caught as Error).message).toMatch(/is not a Datt node key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--repair-store without a store is a RepairError NO_STORE', async () => {
    const caught = await catching(() => repairStore(join(tmpdir(), 'pw-no-such-store-dir-xyz')));
    expect(caught).toBeInstanceOf(RepairError);
    expect((caught as RepairError).code).toBe('NO_STORE');
  });

  it('a config file holding a JSON array is a ConfigError BAD_CONFIG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-config-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(file, '[1, 2]');
      const caught = await catching(() => configFromFile(file));
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).code).toBe('BAD_CONFIG');
      expect((caught as Error).message).toMatch(/is not a JSON object/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
