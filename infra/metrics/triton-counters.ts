/**
 * @module infra/metrics/triton-counters
 * The per-model series a Triton dashboard charts (README maps each to its `nv_inference_*`
 * name), labelled `model` and `version`. They hold no state of their own: every scrape reads the
 * model's statistics recorder, the same one GET /v2/models/{m}/stats answers from, so the two
 * never disagree. Durations are seconds (Prometheus' base unit; Triton's are microseconds).
 */
import client from 'prom-client';
import type { ModelStatsSnapshot } from './model-stats.js';

export interface ModelLabels {
  readonly model: string;
  readonly version: string;
}

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
