import { describe, expect, it } from 'vitest';
import {
  describeProgress,
  formatBytes,
  formatDuration,
  ProgressDisplay,
} from '../src/progress-bar.js';

const MiB = 1024 * 1024;

describe('progress formatting', () => {
  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    // A speed under 1 KiB/s is a fraction of bytes: shown as a whole number.
    expect(formatBytes(737.2127227925978)).toBe('737 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(450 * MiB)).toBe('450.0 MiB');
    expect(formatBytes(2 ** 30)).toBe('1.00 GiB');
    expect(formatDuration(65_000)).toBe('1:05');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
  });

  it('draws a bar with bytes, speed and ETA', () => {
    const p = {
      phase: 'transfer' as const,
      bytes: 256 * MiB,
      total: 1024 * MiB,
      elapsedMs: 2000,
      bytesPerSecond: 128 * MiB,
      etaMs: 6000,
    };
    expect(describeProgress(p, true)).toBe(
      '[######------------------]  25% 256.0 MiB / 1.00 GiB  128.0 MiB/s  ETA 0:06',
    );
    expect(describeProgress(p, false)).toBe('25% 256.0 MiB / 1.00 GiB  128.0 MiB/s  ETA 0:06');
    expect(describeProgress({ ...p, total: undefined, etaMs: undefined }, false)).toBe(
      '256.0 MiB  128.0 MiB/s',
    );
  });

  it('rate-limits redraws, always shows the end, and ends the bar line', () => {
    let now = 0;
    const err: string[] = [];
    const out: string[] = [];
    const d = new ProgressDisplay('tty', 'sent', {
      err: { write: (t: string) => err.push(t) },
      out: { write: (t: string) => out.push(t) },
      now: () => now,
    });
    const at = (bytes: number, phase: 'transfer' | 'done' = 'transfer') =>
      d.update({ phase, bytes, total: 100, elapsedMs: 1, bytesPerSecond: 1, etaMs: 1 });
    at(10);
    now = 50;
    at(20); // too soon: skipped
    now = 150;
    at(30);
    now = 160;
    at(100, 'done');
    d.close();
    expect(err.map((t) => /(\d+)%/.exec(t)?.[1])).toEqual(['10', '30', '100', undefined]);
    expect(err.at(-1)).toBe('\n');
    expect(out).toEqual([]);
  });

  it('emits JSON events on stdout in --json mode', () => {
    const out: string[] = [];
    const d = new ProgressDisplay('json', 'received', {
      err: { write: () => {} },
      out: { write: (t: string) => out.push(t) },
      now: () => 0,
    });
    d.update({ phase: 'done', bytes: 5, total: 5, elapsedMs: 1, bytesPerSecond: 5000, etaMs: 0 });
    expect(JSON.parse(out[0]!)).toEqual({
      event: 'progress',
      phase: 'done',
      bytes: 5,
      total: 5,
      bytesPerSecond: 5000,
      etaMs: 0,
    });
  });
});
