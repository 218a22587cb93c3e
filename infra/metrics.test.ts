import { describe, expect, it } from 'vitest';
import { createMetrics, createModelStats } from './metrics.js';

const demo = { model: 'demo', version: '1' };

describe('createMetrics', () => {
  it('renders what was recorded in Prometheus text format', async () => {
    const m = createMetrics();
    m.recordRequest('/v1/models/:model/detect', 'POST', 200, 0.042);
    m.recordStages(demo, { decode: 3, infer: 20, total: 30 });
    m.batchObserver(demo)({ size: 4, queueMs: [1, 2, 3, 4], runMs: 25 });
    m.watchQueueDepth(demo, () => 7);
    m.setColdStart(demo, 'download', 1500);
    m.watchReadiness(() => [{ ...demo, ready: true }]);
    m.addGauge('detectfn_test_gauge', 'a gauge read at scrape time', () => 42);
    const text = await m.render();
    expect(text).toContain('detectfn_http_requests_total{route="/v1/models/:model/detect",method="POST",status="200"} 1');
    expect(text).toContain('detectfn_stage_duration_seconds_count{model="demo",version="1",stage="infer"} 1');
    expect(text).toContain('detectfn_batch_size_sum{model="demo",version="1"} 4');
    expect(text).toContain('detectfn_queue_depth{model="demo",version="1"} 7');
    expect(text).toContain('detectfn_cold_start_seconds{model="demo",version="1",phase="download"} 1.5');
    expect(text).toContain('detectfn_model_ready{model="demo",version="1"} 1');
    expect(text).toContain('detectfn_test_gauge 42');
    expect(text).toContain('detectfn_process_resident_memory_bytes');
  });

  it('keeps registries apart between instances', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.recordEvent('processed');
    expect(await a.render()).toContain('detectfn_s3_events_total{outcome="processed"} 1');
    expect(await b.render()).not.toContain('detectfn_s3_events_total{outcome="processed"}');
  });

  it('has no gauge named like a counter (promtool refuses `_total` on gauges)', async () => {
    const text = await createMetrics().render();
    const gaugesNamedTotal = [...text.matchAll(/^# TYPE (\S+_total) gauge$/gm)].map((m) => m[1]);
    expect(gaugesNamedTotal).toEqual([]);
    expect(text).toMatch(/^# TYPE detectfn_nodejs_active_handles gauge$/m); // the per-type gauge stays
  });

  it('reads the Triton counters from the model statistics at each scrape, labelled model and version', async () => {
    const m = createMetrics();
    const stats = createModelStats();
    m.watchModelStats(demo, stats.snapshot);
    stats.begin();
    stats.succeeded({ queueMs: 1, computeInputMs: 2, computeInferMs: 30, computeOutputMs: 4, totalMs: 40 }, 2);
    stats.begin();
    let text = await m.render();
    expect(text).toContain('detectfn_inference_request_success_total{model="demo",version="1"} 1');
    expect(text).toContain('detectfn_inference_count_total{model="demo",version="1"} 2');
    expect(text).toContain('detectfn_inference_compute_infer_duration_seconds_total{model="demo",version="1"} 0.03');
    expect(text).toContain('detectfn_inference_pending_requests{model="demo",version="1"} 1');
    stats.failed(5);
    text = await m.render();
    expect(text).toContain('detectfn_inference_request_failure_total{model="demo",version="1"} 1');
    expect(text).toContain('detectfn_inference_pending_requests{model="demo",version="1"} 0');
  });
});

describe('createModelStats', () => {
  it('keeps Triton\'s counts and nanosecond sums per request and per execution', () => {
    const s = createModelStats(() => 1234);
    s.begin();
    s.begin();
    expect(s.snapshot().pending).toBe(2);
    s.executed({ size: 2, computeInputMs: 0.5, computeInferMs: 10, computeOutputMs: 0.001 });
    s.executed({ size: 1, computeInputMs: 0.25, computeInferMs: 5, computeOutputMs: 0 });
    s.succeeded({ queueMs: 1, computeInputMs: 2, computeInferMs: 10, computeOutputMs: 0.5, totalMs: 14 }, 3);
    s.failed(3.5);
    const snap = s.snapshot();
    expect(snap).toMatchObject({
      success: { count: 1, ns: 14e6 }, fail: { count: 1, ns: 3.5e6 }, queue: { count: 1, ns: 1e6 },
      computeInput: { count: 1, ns: 2e6 }, computeInfer: { count: 1, ns: 10e6 }, computeOutput: { count: 1, ns: 0.5e6 },
      inferenceCount: 3, executionCount: 2, pending: 0, lastInference: 1234,
    });
    expect(snap.batches).toEqual([
      { batchSize: 1, computeInput: { count: 1, ns: 0.25e6 }, computeInfer: { count: 1, ns: 5e6 }, computeOutput: { count: 1, ns: 0 } },
      { batchSize: 2, computeInput: { count: 1, ns: 0.5e6 }, computeInfer: { count: 1, ns: 10e6 }, computeOutput: { count: 1, ns: 1000 } },
    ]);
  });

  it('hands out copies: a snapshot does not change under later records', () => {
    const s = createModelStats();
    const before = s.snapshot();
    s.begin();
    s.failed(1);
    expect(before.fail.count).toBe(0);
    expect(s.snapshot().lastInference).toBe(0); // failures do not move last_inference, as in Triton
  });
});
