import { PeerwireError } from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { BobStartError, parseBobLimitFlags } from '../src/bob.js';
import { ConfigError, resolveConfig } from '../src/config.js';

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
});
