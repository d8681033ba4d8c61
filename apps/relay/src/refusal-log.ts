/** The rate-limited log of connections refused at the Spot port's WebSocket upgrade. */
import type { RejectReason } from '@peerwire/relay';
import type { Logger } from 'pino';

/**
 * At most one `connection refused` log line per remote address per this interval; refusals in
 * between are counted (metrics count each one) and reported in one summary line when it ends.
 */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;
/**
 * Remote addresses the refusal log tracks at once. Past it (refusals from very many addresses in
 * one interval), refusals from further addresses are still counted in metrics but not logged.
 */
export const REFUSAL_LOG_MAX_ADDRESSES = 4096;

/** Rate-limited log of connections refused at the WebSocket upgrade (per-IP limit, full, draining). */
export function refusalLog(logger: Logger, now: () => number = Date.now) {
  const recent = new Map<string, { until: number; suppressed: number; reason: RejectReason }>();
  const summarize = (remote: string, entry: { suppressed: number; reason: RejectReason }) => {
    if (entry.suppressed === 0) return;
    logger.info(
      { remote, reason: entry.reason, suppressed: entry.suppressed },
      `${entry.suppressed} more connections refused from ${remote} in the last ${REFUSAL_LOG_INTERVAL_MS / 1000} s`,
    );
  };
  return {
    refused(remote: string, reason: RejectReason, detail: string): void {
      const t = now();
      const entry = recent.get(remote);
      if (entry && t < entry.until) {
        entry.suppressed++;
        entry.reason = reason;
        return;
      }
      if (entry) summarize(remote, entry);
      else if (recent.size >= REFUSAL_LOG_MAX_ADDRESSES) return;
      logger.info({ remote, reason, detail }, 'connection refused');
      recent.set(remote, { until: t + REFUSAL_LOG_INTERVAL_MS, suppressed: 0, reason });
    },
    /** Ends the intervals that are over (called every second), logging their summaries. */
    prune(): void {
      const t = now();
      for (const [remote, entry] of recent) {
        if (t < entry.until) continue;
        summarize(remote, entry);
        recent.delete(remote);
      }
    },
    /** Logs every pending summary (at shutdown). */
    flush(): void {
      for (const [remote, entry] of recent) summarize(remote, entry);
      recent.clear();
    },
  };
}
