import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, describeConfig, resolveConfig } from '../src/config.js';

describe('cluster configuration', () => {
  it('is off by default; PEERWIRE_CLUSTER and the file set it; flags win', () => {
    expect(resolveConfig({}).cluster.url).toBeUndefined();
    const env = configFromEnv({
      PEERWIRE_CLUSTER: 'redis://:secret@10.0.0.1:6379/2',
      PEERWIRE_CLUSTER_PREFIX: 'eu:',
      PEERWIRE_CLUSTER_PRESENCE_TTL_MS: '9000',
    });
    const c = resolveConfig({ cluster: { limits: { heartbeatMs: 1000 } } }, env).cluster;
    expect(c).toEqual({
      url: 'redis://:secret@10.0.0.1:6379/2',
      keyPrefix: 'eu:',
      limits: { heartbeatMs: 1000, presenceTtlMs: 9000 },
      onUnreachable: 'exit',
    });
    expect(
      resolveConfig(configFromEnv({ PEERWIRE_CLUSTER_ON_UNREACHABLE: 'local' })).cluster
        .onUnreachable,
    ).toBe('local');
    const flags = resolveConfig(env, { cluster: { url: 'rediss://cache.example:6380' } }).cluster;
    expect(flags.url).toBe('rediss://cache.example:6380');
    expect(flags.keyPrefix).toBe('eu:');
  });

  it('refuses a URL that is not redis:// or rediss://, and unknown limits', () => {
    expect(() => resolveConfig({ cluster: { url: 'http://x' } })).toThrow(ConfigError);
    expect(() => resolveConfig({ cluster: { limits: { nope: 1 } } })).toThrow(ConfigError);
    expect(() => resolveConfig({ cluster: { onUnreachable: 'retry' } })).toThrow(ConfigError);
    expect(() => configFromEnv({ PEERWIRE_CLUSTER_HEARTBEAT_MS: 'soon' })).toThrow(ConfigError);
  });

  it('is documented in --help-config', () => {
    const text = describeConfig();
    expect(text).toContain('PEERWIRE_CLUSTER ');
    expect(text).toContain('PEERWIRE_CLUSTER_PRESENCE_TTL_MS');
    expect(text).toContain('PEERWIRE_CLUSTER_ON_UNREACHABLE');
  });
});
