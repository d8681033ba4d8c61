// Test harness: relay cores joined by RedisCluster to one test redis-server, with in-memory
// peers that speak the client side of Spot (the same TestPeer as @peerwire/relay's tests).
import { Relay, type RelayLimits, type RelayOptions } from '@peerwire/relay';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTestRedis, type TestRedis } from '../../../tooling/redis-server.js';
import { type Identity, makeIdentity, TestPeer } from '../../relay/test/harness.js';
import { RedisCluster, type RedisClusterLimits, type RedisClusterOptions } from '../src/index.js';

export { type Identity, makeIdentity, TestPeer };

export interface ClusterNode {
  relay: Relay;
  cluster: RedisCluster;
  connect(identity?: Identity): Promise<TestPeer>;
}

/** A relay core on the test Redis (its store and bus from RedisCluster). */
export async function makeNode(
  url: string,
  serverCode: string,
  options: { cluster?: Partial<RedisClusterOptions>; relay?: Partial<RelayOptions> } = {},
): Promise<ClusterNode> {
  const cluster = await RedisCluster.connect({ url, serverCode, ...options.cluster });
  const relay = new Relay({
    serverCode,
    bus: cluster.bus,
    store: cluster.store,
    ...options.relay,
  });
  cluster.attach((target, packet, origin) => relay.deliverFromBus(target, packet, origin));
  await relay.start();
  return {
    relay,
    cluster,
    async connect(identity) {
      const peer = new TestPeer(identity);
      peer.session = relay.accept(peer, '127.0.0.1');
      await waitFor(() => peer.online);
      return peer;
    },
  };
}

/** Polls `check` until it holds (fails after `ms`). */
export async function waitFor(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * One test redis-server for the whole file, and `cluster(count)`: relays on a fresh key prefix
 * (each test its own cluster, fast heartbeats), closed after each test.
 */
export function useClusters(prefix: string): {
  redis(): TestRedis;
  cluster(
    count: number,
    options?: { limits?: Partial<RedisClusterLimits>; relayLimits?: Partial<RelayLimits> },
  ): Promise<ClusterNode[]>;
} {
  let redis: TestRedis;
  const nodes: ClusterNode[] = [];
  let prefixCount = 0;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      n.relay.shutdown();
      await n.cluster.close();
    }
  });
  return {
    redis: () => redis,
    async cluster(count, options = {}) {
      const keyPrefix = `${prefix}${++prefixCount}:`;
      const out: ClusterNode[] = [];
      for (let i = 0; i < count; i++) {
        const node = await makeNode(redis.url, `r${i}`, {
          cluster: {
            keyPrefix,
            hosts: [`r${i}.example`],
            limits: { heartbeatMs: 100, presenceTtlMs: 400, ...options.limits },
          },
          relay: { limits: options.relayLimits ?? {} },
        });
        nodes.push(node);
        out.push(node);
      }
      return out;
    },
  };
}
