/**
 * @module bench/suites/engine
 * yolov8n on ONNX Runtime CPU, intraOpThreads 2 on both sides (2-core machine):
 * engine.bare.bN (a bare session.run loop in the main thread) against engine.batched.bN
 * (batched inference + one worker, batches of N filled by concurrent submitters), the
 * main loop's worst lag under that load, and the cold start (worker + session, warmup).
 */
import { createSystemClock } from '../../infra/clock/index.js';
import { createEngine, createSessionWithFallback, warmupEngine } from '../../infra/engine/index.js';
import { createBatchedInference } from '../../infra/runtime/batched-inference.js';
import { MODELS } from '../../test/helpers/shared-data.js';
import { summarize, type BenchResult, type BenchSuite } from '../report.js';
import { bareRuns, batchedLoad } from './engine-load.js';

const SIZES = [1, 2, 4, 8];
const SETTINGS = { intraOpThreads: 2, interOpThreads: 1, graphOptimizationLevel: 'all', enableMemArena: true, allowSpinning: true } as const;

export const engineSuite: BenchSuite = {
  name: 'engine',
  async run(ctx) {
    const runs = ctx.quick ? 3 : 8;
    const results: BenchResult[] = [];
    const model = MODELS.yolov8n();

    // Cold start first, on a fresh worker each time.
    const coldSession: number[] = [];
    const coldWarmup: number[] = [];
    for (let rep = 0; rep < (ctx.quick ? 1 : 3); rep++) {
      const t0 = performance.now();
      const cold = await createEngine({ modelPath: model, providers: ['cpu'], ...SETTINGS });
      coldSession.push(performance.now() - t0);
      const t1 = performance.now();
      await warmupEngine(cold, { inputName: 'images', itemDims: [3, 640, 640], batchSizes: SIZES });
      coldWarmup.push(performance.now() - t1);
      await cold.close();
    }

    // Bare and batched back to back per N, so a change in machine load hits both sides alike.
    const { session } = await createSessionWithFallback(model, ['cpu'], SETTINGS);
    const engine = await createEngine({ modelPath: model, providers: ['cpu'], ...SETTINGS });
    await warmupEngine(engine, { inputName: 'images', itemDims: [3, 640, 640], batchSizes: SIZES });
    const lags: number[] = [];
    for (const n of SIZES) {
      const ms = await bareRuns(session, n, runs);
      const bare = ms.map((m) => (n * 1000) / m);
      if (n === 1) results.push(summarize('engine.bare.b1_ms', 'ms', ms, { note: 'session.run, batch 1, main thread' }));
      const ends: number[] = [];
      const p = createBatchedInference({
        engine, inputName: 'images', inputDims: [3, 640, 640], batchSizes: [n], clock: createSystemClock(),
        batcher: { maxQueueDelayUs: 1_000_000, maxInFlight: 2, maxQueue: 64 }, onBatch: () => ends.push(performance.now()),
      });
      const load = await batchedLoad(p, n, runs, () => ends);
      await p.close();
      lags.push(load.maxLagMs);
      const ratio = median(load.imagesPerS) / median(bare);
      results.push(summarize(`engine.bare.b${n}`, 'img/s', bare, { note: 'session.run loop, main thread' }));
      results.push(summarize(`engine.batched.b${n}`, 'img/s', load.imagesPerS, {
        target: { op: '>=', value: Math.round(95 * median(bare)) / 100 },
        note: `batched+worker / bare = ${ratio.toFixed(3)} (target >= 0.95)`,
      }));
      ctx.progress(`b${n}: bare ${median(bare).toFixed(2)}, batched ${median(load.imagesPerS).toFixed(2)} img/s, ratio ${ratio.toFixed(3)}, lag ${load.maxLagMs.toFixed(1)} ms`);
    }
    await session.release();
    await engine.close();
    const lagMax = Math.max(...lags);
    results.push(summarize('engine.loop_lag_max', 'ms', lags, {
      target: { op: '<', value: 20 },
      note: `worst 5 ms timer lag per batch size 1/2/4/8 under full batched load; overall max ${lagMax.toFixed(1)} ms`,
    }));
    results.push(summarize('coldstart.session', 'ms', coldSession, { note: 'createEngine: worker start + ORT session (cpu)' }));
    results.push(summarize('coldstart.warmup', 'ms', coldWarmup, { note: 'warmupEngine, batch sizes 1,2,4,8, one run each' }));
    return results;
  },
};

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}
