// The Node relay's timer checks: how often it ticks the core, from the limits or as configured.
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  MAX_TICK_INTERVAL_MS,
  MIN_TICK_INTERVAL_MS,
  startBobRelay,
  tickIntervalFor,
} from '../../src/node/index.js';
import { DEFAULT_REGISTER_TIMEOUT_MS } from '../../src/relay.js';

describe('tickIntervalFor', () => {
  it('is a quarter of the shortest limit, defaults included, between the bounds', () => {
    // Every default is 30 s or more: the cap applies.
    expect(DEFAULT_REGISTER_TIMEOUT_MS / 4).toBeGreaterThan(MAX_TICK_INTERVAL_MS);
    expect(tickIntervalFor({})).toBe(MAX_TICK_INTERVAL_MS);
    expect(tickIntervalFor({ registerTimeoutMs: 2000 })).toBe(500);
    expect(tickIntervalFor({ securePairTimeoutMs: 400, idleTimeoutMs: 800 })).toBe(100);
    expect(tickIntervalFor({ secureIdentifyTimeoutMs: 1 })).toBe(MIN_TICK_INTERVAL_MS);
  });
});

describe('startBobRelay timers', () => {
  it('cuts a connection that never says hello, checked every tickIntervalMs', async () => {
    // registerTimeoutMs alone would tick every 25 ms; the option overrides it.
    const relay = await startBobRelay({
      host: '127.0.0.1',
      port: 0,
      securePort: 0,
      limits: { registerTimeoutMs: 100 },
      tickIntervalMs: 20,
    });
    try {
      const socket = connect(relay.ports.handshake, '127.0.0.1');
      socket.on('error', () => {});
      socket.resume();
      await once(socket, 'connect');
      await once(socket, 'close');
      expect(relay.stats.timeouts).toBe(1);
    } finally {
      await relay.close();
    }
  });
});
