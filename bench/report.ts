/**
 * @module bench/report
 * The one report format every benchmark figure goes into. `npm run bench` prints a table;
 * `npm run bench -- --json` prints {"results":[{name,unit,median,p95,n,...}]}.
 */

export interface BenchResult {
  readonly name: string;
  readonly unit: string;
  readonly median: number;
  readonly p95: number;
  readonly n: number;
  /** Target, when the issue sets one, and how it compares ("<=", ">="). */
  readonly target?: { readonly op: '<=' | '>=' | '<'; readonly value: number; readonly met: boolean };
  /** Free text: the route taken, the peer compared against, the ratio. */
  readonly note?: string;
}

export interface BenchSuite {
  readonly name: string;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

export interface BenchContext {
  /** Print progress to stderr (never stdout, which may carry JSON). */
  progress(message: string): void;
  /** Only suites whose name matches run when --only is given. */
  readonly quick: boolean;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** The median (the lower one for an even count), as summarize reports it. */
export const median = (samples: readonly number[]): number => percentile([...samples].sort((a, b) => a - b), 50);

/** Summarise samples into a result; `target` is checked against the median. */
export function summarize(
  name: string,
  unit: string,
  samples: readonly number[],
  extra: { target?: { op: '<=' | '>=' | '<'; value: number }; note?: string } = {},
): BenchResult {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  const target = extra.target && {
    ...extra.target,
    met: extra.target.op === '>=' ? median >= extra.target.value : extra.target.op === '<' ? median < extra.target.value : median <= extra.target.value,
  };
  return { name, unit, median, p95, n: samples.length, ...(target ? { target } : {}), ...(extra.note ? { note: extra.note } : {}) };
}

/** Time `fn` `n` times after `warmup` untimed runs; returns milliseconds per call. */
export async function timeIt(fn: () => unknown, n: number, warmup = Math.min(10, n)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return samples;
}

export function formatTable(results: readonly BenchResult[]): string {
  const rows = results.map((r) => [
    r.name,
    fmt(r.median),
    fmt(r.p95),
    r.unit,
    String(r.n),
    r.target ? `${r.target.op} ${r.target.value} ${r.target.met ? 'met' : 'MISSED'}` : '',
    r.note ?? '',
  ]);
  const head = ['figure', 'median', 'p95', 'unit', 'n', 'target', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3);
}
