import { PeerwireError } from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { BobStartError, parseBobLimitFlags } from '../src/bob.js';
import { ConfigError, resolveConfig } from '../src/config.js';
import { PtpchatStartError } from '../src/errors.js';
import { parsePtpchatLimitFlags } from '../src/ptpchat-config.js';
import { PtpchatIdentityError } from '../src/ptpchat-identity.js';

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
