/**
 * Prometheus metrics. The relay core keeps plain counters (cheap on the hot path); this module
 * turns them into prom-client counters and gauges at scrape time, plus histograms fed by events.
 */
import type { RejectReason, Relay, RelayEvent } from '@peerwire/relay';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface RelayMetrics {
  readonly registry: Registry;
  /** Feed relay events (handshake durations). */
  onEvent(event: RelayEvent): void;
  /** Record the time the relay spent processing one received packet (seconds). */
  observeProcessing(seconds: number): void;
  /**
   * Count a connection the host refused before the relay core saw it (at the WebSocket upgrade,
   * e.g. over `maxConnectionsPerIp`); it shows in `peerwire_spot_rejects_total{reason}` beside the
   * core's own rejections, under the same reason names.
   */
  countRefusal(reason: RejectReason): void;
}

/** Counter that mirrors a cumulative number read at scrape time. */
export function mirrored(registry: Registry, name: string, help: string, read: () => number): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      if (now > last) this.inc(now - last);
      last = now;
    },
  });
}

export function mirroredByLabel(
  registry: Registry,
  name: string,
  help: string,
  label: string,
  read: () => Record<string, number>,
): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      for (const [value, n] of Object.entries(read())) {
        const prev = last.get(value) ?? 0;
        if (n > prev) this.inc({ [label]: value }, n - prev);
        else if (!last.has(value)) this.inc({ [label]: value }, 0);
        last.set(value, n);
      }
    },
  });
}

export function createMetrics(relay: Relay): RelayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'peerwire_relay_' });
  const s = relay.stats;
  const refusals = new Map<RejectReason, number>();
  new Gauge({
    name: 'peerwire_spot_connections',
    help: 'Open Spot connections (handshaking or online)',
    registers: [registry],
    collect() {
      this.set(relay.connectionCount);
    },
  });
  new Gauge({
    name: 'peerwire_spot_online',
    help: 'Spot connections past the handshake',
    registers: [registry],
    collect() {
      this.set(s.online);
    },
  });
  mirrored(
    registry,
    'peerwire_spot_connections_total',
    'Spot connections accepted',
    () => s.connections,
  );
  mirrored(
    registry,
    'peerwire_spot_handshakes_total',
    'Successful Spot handshakes',
    () => s.handshakes,
  );
  mirrored(
    registry,
    'peerwire_spot_handshake_failures_total',
    'Failed Spot handshakes',
    () => s.handshakeFailures,
  );
  mirrored(
    registry,
    'peerwire_spot_messages_received_total',
    'Instant messages received',
    () => s.messagesIn,
  );
  mirrored(
    registry,
    'peerwire_spot_bytes_received_total',
    'Bytes of instant messages received',
    () => s.bytesIn,
  );
  mirrored(
    registry,
    'peerwire_spot_messages_routed_total',
    'Instant messages delivered to a connection',
    () => s.messagesRouted,
  );
  mirrored(
    registry,
    'peerwire_spot_bytes_routed_total',
    'Bytes of instant messages delivered',
    () => s.bytesRouted,
  );
  mirrored(
    registry,
    'peerwire_spot_endpoint_requests_total',
    'Requests to @/ endpoints',
    () => s.endpointRequests,
  );
  mirrored(registry, 'peerwire_spot_pings_total', 'Pings answered', () => s.pings);
  mirroredByLabel(
    registry,
    'peerwire_spot_drops_total',
    'Messages dropped, by reason',
    'reason',
    () => s.drops,
  );
  mirroredByLabel(
    registry,
    'peerwire_spot_rejects_total',
    'Connections closed or refused, by reason',
    'reason',
    () => {
      const total: Record<string, number> = { ...s.rejects };
      for (const [reason, n] of refusals) total[reason] = (total[reason] ?? 0) + n;
      return total;
    },
  );
  const handshakeSeconds = new Histogram({
    name: 'peerwire_spot_handshake_seconds',
    help: 'Time from connection to online',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const processing = new Histogram({
    name: 'peerwire_spot_processing_seconds',
    help: 'Relay processing time of a received packet (sampled 1 in 64)',
    buckets: [1e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 1e-2],
    registers: [registry],
  });
  return {
    registry,
    onEvent(event) {
      if (event.type === 'online') handshakeSeconds.observe(event.handshakeMs / 1000);
    },
    observeProcessing(seconds) {
      processing.observe(seconds);
    },
    countRefusal(reason) {
      refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
    },
  };
}
