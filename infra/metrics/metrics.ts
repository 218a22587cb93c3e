/**
 * @module infra/metrics
 * Prometheus metrics (prom-client) in a registry owned by the app, never the global default,
 * so two apps in one process (tests) do not share counters. Callers record through the small
 * typed methods below; nothing else imports prom-client.
 */
import client from 'prom-client';
import type { StageTimings } from '../../core/types.js';
import type { ModelStatsSnapshot } from './model-stats.js';
import { registerTritonCounters, type ModelLabels } from './triton-counters.js';

const STAGE_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64];
/**
 * prom-client's default metrics include three gauges named `*_total`, which Prometheus reserves
 * for counters (`promtool check metrics` fails on them). Each is the sum over the `type` label
 * of the gauge beside it (`nodejs_active_handles{type}` ...), so they go and nothing is lost.
 */
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface Metrics {
  readonly contentType: string;
  render(): Promise<string>;
  recordRequest(route: string, method: string, status: number, seconds: number): void;
  recordStages(model: ModelLabels, timings: StageTimings): void;
  recordBatch(model: ModelLabels, size: number, queueMs: readonly number[], inferMs: number): void;
  /** `detectfn_queue_depth{model}` is read from `read` at each scrape, so it never lags. */
  watchQueueDepth(model: ModelLabels, read: () => number): void;
  setColdStart(model: ModelLabels, phase: 'download' | 'session' | 'warmup' | 'total', ms: number): void;
  /**
   * `detectfn_model_ready{model}` is read from `read` at each scrape: the same state /readyz
   * answers from (a model whose engine has no live worker reads 0, as does one still loading).
   */
  watchReadiness(read: () => readonly (ModelLabels & { readonly ready: boolean })[]): void;
  /** Triton's per-model counters (triton-counters.ts), read from the model's statistics at each scrape. */
  watchModelStats(model: ModelLabels, read: () => ModelStatsSnapshot): void;
  recordEvent(outcome: 'processed' | 'skipped' | 'failed' | 'ignored'): void;
  /** Gauges read at scrape time (libvips queue, worker count, ...). */
  addGauge(name: string, help: string, read: () => number): void;
}

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
    recordBatch(model, size, queueMs, inferMs) {
      batchSize.observe({ ...model }, size);
      for (const q of queueMs) queueTime.observe({ ...model }, q / 1000);
      inferTime.observe({ ...model }, inferMs / 1000);
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
