/**
 * @module test/e2e/emulation/cold-start
 * Step 8: the container's cold start, from the two places the service reports it: the
 * `detectfn_cold_start_seconds{model,phase}` gauge on /metrics and the "ready" log line.
 */

export type Phase = 'download' | 'session' | 'warmup' | 'total';
export type ColdStartMs = Partial<Record<Phase, number>>;

/** Milliseconds per phase for `model`, from Prometheus text. */
export function coldStartFromMetrics(text: string, model: string): ColdStartMs {
  const out: ColdStartMs = {};
  const re = /^detectfn_cold_start_seconds\{([^}]*)\}\s+(\S+)$/gm;
  for (const m of text.matchAll(re)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (labels.model === model) out[labels.phase as Phase] = Number(m[2]) * 1000;
  }
  return out;
}

/** `{listenMs, readyMs}` from the service's "ready" log line (pino JSON), if it was logged. */
/** The first value of `field` in the service's JSON log lines (e.g. the start-up line's `jpegDecoder`). */
export function logField(lines: readonly string[], field: string): unknown {
  for (const l of lines) {
    try {
      const j = JSON.parse(l) as Record<string, unknown>;
      if (field in j) return j[field];
    } catch {
      // not JSON: node's own warnings
    }
  }
  return undefined;
}

export function readyLine(lines: readonly string[]): { listenMs?: number; readyMs?: number } | undefined {
  for (const l of lines) {
    try {
      const j = JSON.parse(l) as { msg?: string; listenMs?: number; readyMs?: number };
      if (j.msg === 'ready') return { listenMs: j.listenMs, readyMs: j.readyMs };
    } catch {
      // not JSON: node's own warnings
    }
  }
  return undefined;
}
