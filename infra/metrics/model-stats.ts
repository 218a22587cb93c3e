/**
 * @module infra/metrics/model-stats
 * One model's statistics as Triton keeps them (inference_stats, batch_stats, counts), recorded
 * once by the places that know (the pipeline: request outcomes and stage times; the batched
 * inference: each engine execution) and read by both the Triton statistics JSON and the
 * Prometheus counters, so the two can never disagree. Durations are kept in nanoseconds, as
 * Triton reports them.
 *
 * Triton's stages mapped onto detectfn's, per request:
 * - queue: time in the micro-batcher (submit -> batch start);
 * - compute_input: image decode + letterbox (infra/image) + building the batch tensor on the
 *   main thread (packing pixels / copying tensors);
 * - compute_infer: the engine run (worker round trip, normalisation in the worker included);
 * - compute_output: postprocess (decode outputs, NMS, boxes back to source pixels).
 * A request with several items reports each stage's slowest item (items run side by side),
 * except compute_output, which runs item after item and is summed.
 */

/** Triton's `{count, ns}` pair. */
export interface Duration {
  count: number;
  ns: number;
}

export interface RequestTimings {
  readonly queueMs: number;
  readonly computeInputMs: number;
  readonly computeInferMs: number;
  readonly computeOutputMs: number;
  /** Arrival at the model to the answer. */
  readonly totalMs: number;
}

export interface ExecutionTimings {
  /** Items in this engine run (before padding). */
  readonly size: number;
  readonly computeInputMs: number;
  readonly computeInferMs: number;
  readonly computeOutputMs: number;
}

export interface BatchSizeStats {
  readonly batchSize: number;
  readonly computeInput: Duration;
  readonly computeInfer: Duration;
  readonly computeOutput: Duration;
}

export interface ModelStatsSnapshot {
  readonly success: Duration;
  readonly fail: Duration;
  readonly queue: Duration;
  readonly computeInput: Duration;
  readonly computeInfer: Duration;
  readonly computeOutput: Duration;
  /** Items inferred (a request of 3 images counts 3). */
  readonly inferenceCount: number;
  /** Engine executions (batches). */
  readonly executionCount: number;
  /** Requests admitted and not answered yet. */
  readonly pending: number;
  /** Milliseconds since the epoch of the last successful request (as Triton); 0 when none. */
  readonly lastInference: number;
  /** By batch size, increasing. */
  readonly batches: readonly BatchSizeStats[];
}

export interface ModelStatsRecorder {
  /** A request reached the model; pair with exactly one `succeeded` or `failed`. */
  begin(): void;
  succeeded(t: RequestTimings, items: number): void;
  /** Any failure once the request reached the model (queue full, deadline, bad input, engine). */
  failed(totalMs: number): void;
  executed(t: ExecutionTimings): void;
  snapshot(): ModelStatsSnapshot;
}

const NS_PER_MS = 1e6;
const zero = (): Duration => ({ count: 0, ns: 0 });
const add = (d: Duration, ms: number): void => {
  d.count += 1;
  d.ns += Math.max(0, Math.round(ms * NS_PER_MS));
};
const copy = (d: Duration): Duration => ({ ...d });

/** `now` gives epoch milliseconds for `lastInference` (injected so tests can pin it). */
export function createModelStats(now: () => number = Date.now): ModelStatsRecorder {
  const s = { success: zero(), fail: zero(), queue: zero(), computeInput: zero(), computeInfer: zero(), computeOutput: zero() };
  const batches = new Map<number, { computeInput: Duration; computeInfer: Duration; computeOutput: Duration }>();
  let inferenceCount = 0;
  let executionCount = 0;
  let pending = 0;
  let lastInference = 0;

  return {
    begin: () => void (pending += 1),
    succeeded(t, items) {
      pending -= 1;
      add(s.success, t.totalMs);
      add(s.queue, t.queueMs);
      add(s.computeInput, t.computeInputMs);
      add(s.computeInfer, t.computeInferMs);
      add(s.computeOutput, t.computeOutputMs);
      inferenceCount += items;
      lastInference = now();
    },
    failed(totalMs) {
      pending -= 1;
      add(s.fail, totalMs);
    },
    executed(t) {
      executionCount += 1;
      let b = batches.get(t.size);
      if (!b) batches.set(t.size, (b = { computeInput: zero(), computeInfer: zero(), computeOutput: zero() }));
      add(b.computeInput, t.computeInputMs);
      add(b.computeInfer, t.computeInferMs);
      add(b.computeOutput, t.computeOutputMs);
    },
    snapshot: () => ({
      success: copy(s.success),
      fail: copy(s.fail),
      queue: copy(s.queue),
      computeInput: copy(s.computeInput),
      computeInfer: copy(s.computeInfer),
      computeOutput: copy(s.computeOutput),
      inferenceCount,
      executionCount,
      pending,
      lastInference,
      batches: [...batches.entries()]
        .sort(([a], [b]) => a - b)
        .map(([batchSize, b]) => ({ batchSize, computeInput: copy(b.computeInput), computeInfer: copy(b.computeInfer), computeOutput: copy(b.computeOutput) })),
    }),
  };
}
