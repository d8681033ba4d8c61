// Bench helpers shared by every package's `bench/*.bench.ts`.
//
// Machines are noisy, so a benchmark never reports a bare figure: it measures the subject and a
// baseline in the same process, interleaved over several rounds, and prints the ratio of the
// medians. Goals are printed beside the ratio; a missed goal is reported, never hidden.

import { performance } from 'node:perf_hooks';

export interface MeasureOptions {
  /** Milliseconds per round (default 400). */
  readonly roundMs?: number;
  /** Interleaved rounds; the median is reported (default 5). */
  readonly rounds?: number;
  /** Milliseconds of warm-up before the first round (default 300). */
  readonly warmupMs?: number;
}

export type Op = () => unknown;
export type AsyncOp = () => Promise<unknown>;

function runFor(fn: Op, ms: number): number {
  let ops = 0;
  let batch = 1;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    now = performance.now();
    if (now - start < ms / 20) batch *= 2;
  }
  return (ops * 1000) / (now - start);
}

async function runForAsync(fn: AsyncOp, ms: number): Promise<number> {
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn();
    ops++;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Measures several named operations interleaved, round by round. Returns ops/s medians. */
export function measureAll(
  ops: Record<string, Op>,
  options: MeasureOptions = {},
): Record<string, number> {
  const { roundMs = 400, rounds = 5, warmupMs = 300 } = options;
  const names = Object.keys(ops);
  for (const name of names) runFor(ops[name]!, warmupMs / names.length);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) samples[name]!.push(runFor(ops[name]!, roundMs));
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n]!)]));
}

export async function measureAllAsync(
  ops: Record<string, AsyncOp>,
  options: MeasureOptions = {},
): Promise<Record<string, number>> {
  const { roundMs = 400, rounds = 5, warmupMs = 300 } = options;
  const names = Object.keys(ops);
  for (const name of names) await runForAsync(ops[name]!, warmupMs / names.length);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) samples[name]!.push(await runForAsync(ops[name]!, roundMs));
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n]!)]));
}

export interface Row {
  readonly name: string;
  /** The figure, in `unit`. */
  readonly value: number;
  readonly unit: string;
  /** Same-run baseline figure, same unit. */
  readonly baseline?: number;
  readonly baselineName?: string;
  /** Goal for value / baseline (higher is better unless `lowerIsBetter`). */
  readonly goalRatio?: number;
  /** Absolute goal for value. */
  readonly goal?: number;
  readonly lowerIsBetter?: boolean;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

function verdict(row: Row): string {
  const parts: string[] = [];
  const better = (a: number, b: number) => (row.lowerIsBetter ? a <= b : a >= b);
  if (row.goalRatio !== undefined && row.baseline !== undefined) {
    const ratio = row.value / row.baseline;
    parts.push(
      `goal ${row.lowerIsBetter ? '<=' : '>='} ${row.goalRatio}x: ${better(ratio, row.goalRatio) ? 'met' : 'MISSED'}`,
    );
  }
  if (row.goal !== undefined) {
    parts.push(
      `goal ${row.lowerIsBetter ? '<=' : '>='} ${fmt(row.goal)} ${row.unit}: ${better(row.value, row.goal) ? 'met' : 'MISSED'}`,
    );
  }
  return parts.join('; ');
}

/** Prints a titled table of rows: figure, baseline, ratio and goal verdicts. */
export function report(title: string, rows: readonly Row[]): void {
  const lines = [`\n## ${title}`, ''];
  for (const row of rows) {
    let line = `- ${row.name}: ${fmt(row.value)} ${row.unit}`;
    if (row.baseline !== undefined) {
      line += ` | baseline (${row.baselineName ?? 'baseline'}): ${fmt(row.baseline)} ${row.unit}`;
      line += ` | ratio ${(row.value / row.baseline).toFixed(2)}x`;
    }
    const v = verdict(row);
    if (v) line += ` | ${v}`;
    lines.push(line);
  }
  console.log(lines.join('\n'));
}

/** A short note on the machine, printed once at the top of a bench run. */
export function environment(): string {
  return `node ${process.version}, ${process.platform}/${process.arch}`;
}
