/**
 * @module infra/metrics
 * What the service measures, in two forms read from the same records.
 *
 * - `createMetrics`: the Prometheus metrics (prom-client) in a registry owned by the app, never
 *   the global default, so two apps in one process (tests) do not share counters. Callers record
 *   through its small typed methods; nothing else imports prom-client.
 * - `createModelStats`: one model's statistics as Triton keeps them (inference_stats,
 *   batch_stats, counts), recorded once by the places that know (a predictor's RequestRecorder:
 *   request outcomes and stage times; the batched inference: each engine execution) and read by
 *   both the Triton statistics JSON and the Prometheus counters, so the two can never disagree.
 *   Durations are kept in nanoseconds, as Triton reports them.
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
import { performance } from 'node:perf_hooks';
import client from 'prom-client';
import type { StageTimings } from '../core/types.js';

export interface Metrics {
  readonly contentType: string;
  render(): Promise<string>;
  recordRequest(route: string, method: string, status: number, seconds: number): void;
  recordStages(model: ModelLabels, timings: StageTimings): void;
  /** The observer of one model's batches (the micro-batcher's onBatch): batch size, per-item queue time, run time. */
  batchObserver(model: ModelLabels): (batch: { readonly size: number; readonly queueMs: readonly number[]; readonly runMs: number }) => void;
  /** `detectfn_queue_depth{model}` is read from `read` at each scrape, so it never lags. */
  watchQueueDepth(model: ModelLabels, read: () => number): void;
  setColdStart(model: ModelLabels, phase: 'download' | 'session' | 'warmup' | 'total', ms: number): void;
  /**
   * `detectfn_model_ready{model}` is read from `read` at each scrape: the same state /readyz
   * answers from (a model whose engine has no live worker reads 0, as does one still loading).
   */
  watchReadiness(read: () => readonly (ModelLabels & { readonly ready: boolean })[]): void;
  /** Triton's per-model counters (registerTritonCounters), read from the model's statistics at each scrape. */
  watchModelStats(model: ModelLabels, read: () => ModelStatsSnapshot): void;
  recordEvent(outcome: 'processed' | 'skipped' | 'failed' | 'ignored'): void;
  /** Gauges read at scrape time (libvips queue, worker count, ...). */
  addGauge(name: string, help: string, read: () => number): void;
}

const STAGE_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64];
/**
 * prom-client's default metrics include three gauges named `*_total`, which Prometheus reserves
 * for counters (`promtool check metrics` fails on them). Each is the sum over the `type` label
 * of the gauge beside it (`nodejs_active_handles{type}` ...), so they go and nothing is lost.
 */
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'detectfn_' });
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(`detectfn_${name}`);
  const watchModelStats = registerTritonCounters(registry);

  const requests = new client.Counter({ name: 'detectfn_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const latency = new client.Histogram({ name: 'detectfn_http_request_duration_seconds', help: 'HTTP latency by route', labelNames: ['route'], buckets: STAGE_BUCKETS_S, registers: [registry] });
  const stages = new client.Histogram({ name: 'detectfn_stage_duration_seconds', help: 'Time per pipeline stage (decode, preprocess, queue, infer, postprocess, total)', labelNames: ['model', 'version', 'stage'], buckets: STAGE_BUCKETS_S, registers: [registry] });
  const batchSize = new client.Histogram({ name: 'detectfn_batch_size', help: 'Images per engine batch (before padding)', labelNames: ['model', 'version'], buckets: BATCH_BUCKETS, registers: [registry] });
  const queueTime = new client.Histogram({ name: 'detectfn_queue_duration_seconds', help: 'Time an image waited in the micro-batcher', labelNames: ['model', 'version'], buckets: STAGE_BUCKETS_S, registers: [registry] });
  const inferTime = new client.Histogram({ name: 'detectfn_batch_infer_duration_seconds', help: 'Engine time per batch', labelNames: ['model', 'version'], buckets: STAGE_BUCKETS_S, registers: [registry] });
  const depthReaders = new Map<string, { labels: ModelLabels; read: () => number }>();
  new client.Gauge({
    name: 'detectfn_queue_depth', help: 'Images waiting in the micro-batcher', labelNames: ['model', 'version'], registers: [registry],
    collect() {
      for (const { labels, read } of depthReaders.values()) this.set({ ...labels }, read());
    },
  });
  let readiness: () => readonly (ModelLabels & { readonly ready: boolean })[] = () => [];
  const coldStart = new client.Gauge({ name: 'detectfn_cold_start_seconds', help: 'Cold-start breakdown per model', labelNames: ['model', 'version', 'phase'], registers: [registry] });
  new client.Gauge({
    name: 'detectfn_model_ready', help: '1 when the model is loaded, warm and has a live engine worker', labelNames: ['model', 'version'], registers: [registry],
    collect() {
      this.reset();
      for (const { model, version, ready } of readiness()) this.set({ model, version }, ready ? 1 : 0);
    },
  });
  const events = new client.Counter({ name: 'detectfn_s3_events_total', help: 'S3 object events by outcome', labelNames: ['outcome'], registers: [registry] });

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    recordRequest(route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) });
      latency.observe({ route }, seconds);
    },
    recordStages(model, timings) {
      for (const [stage, ms] of Object.entries(timings)) {
        if (typeof ms === 'number' && Number.isFinite(ms)) stages.observe({ ...model, stage }, ms / 1000);
      }
    },
    batchObserver(model) {
      const labels = { ...model };
      return ({ size, queueMs, runMs }) => {
        batchSize.observe(labels, size);
        for (const q of queueMs) queueTime.observe(labels, q / 1000);
        inferTime.observe(labels, runMs / 1000);
      };
    },
    watchQueueDepth: (labels, read) => void depthReaders.set(`${labels.model}\n${labels.version}`, { labels, read }),
    setColdStart: (model, phase, ms) => coldStart.set({ ...model, phase }, ms / 1000),
    watchReadiness: (read) => void (readiness = read),
    watchModelStats,
    recordEvent: (outcome) => events.inc({ outcome }),
    addGauge(name, help, read) {
      new client.Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
    },
  };
}

export interface ModelLabels {
  readonly model: string;
  readonly version: string;
}

// One model's statistics, Triton's way.
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

// Recording a request: the one place a predictor's request is counted, for both forms.
/** One item's stage times as a response reports them (ms): decode + letterbox, batch packing, queue, engine, postprocess, total. */
export type ItemTimings = Required<Pick<StageTimings, 'decode' | 'preprocess' | 'queue' | 'infer' | 'postprocess' | 'total'>>;

/** How a predictor records its requests: Triton's statistics and the Prometheus stage histograms, from one place. */
export interface RequestRecorder {
  /**
   * Runs one request that reached the model and records it once: as a success with its stage
   * times, or as a failure with its duration. `work` gets the request's start time.
   */
  record<R extends { readonly timings: ItemTimings }>(work: (t0: number) => Promise<R[]>): Promise<R[]>;
  /** An item's stage times (its postprocess began at `tp`), observed in the per-stage histograms. */
  itemTimings(t0: number, tp: number, stages: Pick<ItemTimings, 'decode' | 'preprocess' | 'queue' | 'infer'>): ItemTimings;
}

export function createRequestRecorder(stats: ModelStatsRecorder, metrics: Metrics | undefined, series: ModelLabels): RequestRecorder {
  return {
    async record(work) {
      const t0 = performance.now();
      stats.begin();
      try {
        const results = await work(t0);
        stats.succeeded(requestTimings(results, performance.now() - t0), results.length);
        return results;
      } catch (err) {
        stats.failed(performance.now() - t0);
        throw err;
      }
    },
    itemTimings(t0, tp, s) {
      const now = performance.now();
      const timings = { decode: s.decode, preprocess: s.preprocess, queue: s.queue, infer: s.infer, postprocess: now - tp, total: now - t0 };
      metrics?.recordStages(series, timings);
      return timings;
    },
  };
}

/**
 * One request's stage times in Triton's terms: its items run side by side, so each stage is its
 * slowest item's, except postprocess, which runs item after item.
 */
function requestTimings(results: readonly { readonly timings: ItemTimings }[], totalMs: number): RequestTimings {
  const max = (f: (t: ItemTimings) => number) => Math.max(0, ...results.map((r) => f(r.timings)));
  return {
    queueMs: max((t) => t.queue),
    computeInputMs: max((t) => t.decode + t.preprocess),
    computeInferMs: max((t) => t.infer),
    computeOutputMs: results.reduce((sum, r) => sum + r.timings.postprocess, 0),
    totalMs,
  };
}

// Triton's counters in Prometheus: the per-model series a Triton dashboard charts (README maps
// each to its `nv_inference_*` name), labelled `model` and `version`. They hold no state of
// their own: every scrape reads the model's statistics recorder, the same one
// GET /v2/models/{m}/stats answers from, so the two never disagree. Durations are seconds
// (Prometheus' base unit; Triton's are microseconds).
const S_PER_NS = 1e-9;

const COUNTERS: readonly [name: string, help: string, read: (s: ModelStatsSnapshot) => number][] = [
  ['detectfn_inference_request_success_total', 'Requests answered successfully (nv_inference_request_success)', (s) => s.success.count],
  ['detectfn_inference_request_failure_total', 'Requests failed once they reached the model: queue full, deadline, bad input, engine (nv_inference_request_failure)', (s) => s.fail.count],
  ['detectfn_inference_count_total', 'Items inferred; a request of 3 images counts 3 (nv_inference_count)', (s) => s.inferenceCount],
  ['detectfn_inference_exec_count_total', 'Engine executions, i.e. batches (nv_inference_exec_count)', (s) => s.executionCount],
  ['detectfn_inference_request_duration_seconds_total', 'Cumulative duration of successful requests (nv_inference_request_duration_us)', (s) => s.success.ns * S_PER_NS],
  ['detectfn_inference_queue_duration_seconds_total', 'Cumulative time successful requests waited in the micro-batcher (nv_inference_queue_duration_us)', (s) => s.queue.ns * S_PER_NS],
  ['detectfn_inference_compute_input_duration_seconds_total', 'Cumulative decode + letterbox + batch building of successful requests (nv_inference_compute_input_duration_us)', (s) => s.computeInput.ns * S_PER_NS],
  ['detectfn_inference_compute_infer_duration_seconds_total', 'Cumulative engine time of successful requests (nv_inference_compute_infer_duration_us)', (s) => s.computeInfer.ns * S_PER_NS],
  ['detectfn_inference_compute_output_duration_seconds_total', 'Cumulative postprocess time of successful requests (nv_inference_compute_output_duration_us)', (s) => s.computeOutput.ns * S_PER_NS],
];

/** Registers the series; the returned function adds one model's recorder to them. */
export function registerTritonCounters(registry: client.Registry): (labels: ModelLabels, read: () => ModelStatsSnapshot) => void {
  const models = new Map<string, { labels: ModelLabels; read: () => ModelStatsSnapshot }>();
  const each = (set: (labels: ModelLabels, s: ModelStatsSnapshot) => void) => {
    for (const { labels, read } of models.values()) set(labels, read());
  };
  for (const [name, help, value] of COUNTERS) {
    new client.Counter({
      name, help, labelNames: ['model', 'version'], registers: [registry],
      collect() {
        this.reset();
        each((labels, s) => this.inc({ ...labels }, value(s)));
      },
    });
  }
  new client.Gauge({
    // Not `_count`: Prometheus reserves that suffix for histograms and summaries (promtool refuses it).
    name: 'detectfn_inference_pending_requests', help: 'Requests admitted to the model and not answered yet (nv_inference_pending_request_count)',
    labelNames: ['model', 'version'], registers: [registry],
    collect() {
      this.reset();
      each((labels, s) => this.set({ ...labels }, s.pending));
    },
  });
  return (labels, read) => void models.set(`${labels.model}\n${labels.version}`, { labels, read });
}
