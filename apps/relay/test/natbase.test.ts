// The relay's natbase base server: config, two host agents relayed and direct over loopback,
// metrics, /healthz and shutdown.
import { generateIdentity, parseEndpoint } from '@peerwire/natbase';
import { NatbaseHost, pooledRandom } from '@peerwire/natbase/node';
import { afterEach, describe, expect, it } from 'vitest';
import { configFromEnv, describeConfig, resolveConfig } from '../src/config.js';
import type { RelayNatbase } from '../src/natbase.js';
import { DEFAULT_NATBASE_PORT } from '../src/natbase-config.js';
import { startRelay, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('natbase in the relay', () => {
  it('is off by default, with an unprivileged default port clear of the others', () => {
    const c = resolveConfig({});
    expect(c.natbase.enabled).toBe(false);
    expect(c.natbase.port).toBe(DEFAULT_NATBASE_PORT);
    expect(DEFAULT_NATBASE_PORT).toBeGreaterThan(1023);
    expect([8080, 9000, 9001, 4000, 4001]).not.toContain(DEFAULT_NATBASE_PORT);
    expect(describeConfig()).toContain('PEERWIRE_NATBASE_PORT');
  });

  it('reads PEERWIRE_NATBASE_* and rejects bad values naming the option', () => {
    const env = configFromEnv({
      PEERWIRE_NATBASE: 'true',
      PEERWIRE_NATBASE_PORT: '6000',
      PEERWIRE_NATBASE_PUBLIC_ADDRESS: '203.0.113.5:6000',
      PEERWIRE_NATBASE_LIMIT_MAX_DEVICES: '10',
    });
    const c = resolveConfig(env);
    expect(c.natbase).toMatchObject({
      enabled: true,
      port: 6000,
      publicAddress: '203.0.113.5:6000',
      limits: { maxDevices: 10 },
    });
    expect(() => resolveConfig({ natbase: { publicAddress: 'nowhere' } })).toThrow(
      /natbase.publicAddress/,
    );
    expect(() => resolveConfig({ natbase: { port: 70000 } })).toThrow(/natbase.port/);
    expect(() => resolveConfig({ natbase: { limits: { nope: 1 } } })).toThrow(/natbase.limits/);
  });

  it('serves two host agents, with metrics and a /healthz entry; the relay stops it', async () => {
    const r = await startRelay({ natbase: { enabled: true, port: 0, udpPort: 0 } });
    let closed = false;
    cleanups.push(() => (closed ? undefined : r.close()));
    const service = r.services.get('natbase') as RelayNatbase;
    expect(service.ports.tcp).toBeGreaterThan(0);
    expect(service.metrics.every((m) => m.startsWith('peerwire_natbase_'))).toBe(true);
    const random = pooledRandom();
    const start = () =>
      NatbaseHost.start({
        identity: generateIdentity(random),
        bases: [parseEndpoint(`127.0.0.1:${service.ports.tcp}`)],
        udp: { host: '127.0.0.1', port: 0 },
        localAddresses: [],
        secure: false,
      });
    const a = await start();
    cleanups.push(() => a.close());
    const b = await start();
    cleanups.push(() => b.close());
    const got: string[] = [];
    b.on('datagram', (d) => got.push(new TextDecoder().decode(d.data)));
    await waitFor(() => a.core.baseUdpAlive && b.core.baseUdpAlive);
    a.send(b.deviceId, new TextEncoder().encode('via the relay'));
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['via the relay']);
    const metrics = await r.metrics.registry.metrics();
    expect(metrics).toMatch(/peerwire_natbase_devices_connected 2/);
    expect(metrics).toMatch(/peerwire_natbase_relayed_total\{path="udp"\} 1/);
    expect(metrics).toMatch(/peerwire_natbase_nat_confirmations_total [2-9]/);
    const health = (await (await fetch(`${r.url}/healthz`)).json()) as {
      services: Record<string, { ok: boolean; devices: number }>;
    };
    expect(health.services.natbase).toMatchObject({ ok: true, devices: 2 });
    closed = true;
    await r.close();
    await waitFor(() => a.base === undefined);
  });

  it('refuses a wildcard host without natbase.publicAddress', async () => {
    await expect(
      startRelay({ host: '0.0.0.0', natbase: { enabled: true, port: 0 } }),
    ).rejects.toThrow(/wildcard/);
  });
});
