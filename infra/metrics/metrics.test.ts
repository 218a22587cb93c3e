import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

const demo = { model: 'demo', version: '1' };

describe('createMetrics', () => {
  it('renders what was recorded in Prometheus text format', async () => {
    const m = createMetrics();
    m.recordRequest('/v1/models/:model/detect', 'POST', 200, 0.042);
    m.recordStages(demo, { decode: 3, infer: 20, total: 30 });
    m.recordBatch(demo, 4, [1, 2, 3, 4], 25);
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
});
