/**
 * The rate-limited log of connections refused or rejected, per remote address: the Spot port's
 * upgrade refusals, Spot connections closed for breaking a rule, Datt peers closed for bad
 * frames or messages. One instance per kind (its `line` and `plural` name the log messages).
 */
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

export interface RefusalLogText {
  /** The message of each logged line (default `connection refused`). */
  readonly line: string;
  /** The summary's noun (default `connections refused`): "3 more connections refused from …". */
  readonly plural: string;
}

const UPGRADE_REFUSALS: RefusalLogText = {
  line: 'connection refused',
  plural: 'connections refused',
};

/** Rate-limited log of refusals (default: connections refused at the WebSocket upgrade). */
export function refusalLog(
  logger: Logger,
  now: () => number = Date.now,
  text: RefusalLogText = UPGRADE_REFUSALS,
) {
  const recent = new Map<string, { until: number; suppressed: number; reason: string }>();
  const summarize = (remote: string, entry: { suppressed: number; reason: string }) => {
    if (entry.suppressed === 0) return;
    logger.info(
      { remote, reason: entry.reason, suppressed: entry.suppressed },
      `${entry.suppressed} more ${text.plural} from ${remote} in the last ${REFUSAL_LOG_INTERVAL_MS / 1000} s`,
    );
  };
  return {
    /** Logs one refusal (`extra` fields, e.g. a connection id, go into the line). */
    refused(
      remote: string,
      reason: string,
      detail: string,
      extra: Record<string, unknown> = {},
    ): void {
      const t = now();
      const entry = recent.get(remote);
      if (entry && t < entry.until) {
        entry.suppressed++;
        entry.reason = reason;
        return;
      }
      if (entry) summarize(remote, entry);
      else if (recent.size >= REFUSAL_LOG_MAX_ADDRESSES) return;
      logger.info({ ...extra, remote, reason, detail }, text.line);
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
