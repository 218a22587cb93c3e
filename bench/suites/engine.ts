/**
 * @module bench/suites/engine
 * yolov8n on ONNX Runtime CPU, intraOpThreads 2 on both sides (2-core machine):
 * engine.bare.bN (a bare session.run loop in the main thread) against engine.batched.bN
 * (batched inference + one worker, batches of N filled by concurrent submitters), the
 * main loop's worst lag under that load, and the cold start (worker + session, warmup).
 * Batched runs both preprocessing paths on the same engine, alternating per round:
 * 'engine' (uint8 pixels, normalised in the worker: what the service does) and `.caller`
 * (normalised on the main thread into a fresh float tensor, the path before it: built here from
 * core's assembleBatch and the generic micro-batcher, since the service no longer has it).
 */
import { createSystemClock } from '../../infra/host.js';
import { createEngine, warmupEngine } from '../../infra/engine/engine.js';
import { createSessionWithFallback } from '../../infra/engine/session.js';
import { assembleBatch } from '../../core/batch.js';
import { createNormalizer } from '../../core/normalize.js';
import type { Engine } from '../../core/types.js';
import { createBatcher } from '../../infra/model/batcher.js';
import { type BatchedInference, createBatchedInference } from '../../infra/model/inference.js';
import { MODELS } from '../../test/helpers/shared-data.js';
import { type BenchResult, type BenchSuite, summarize } from '../report.js';
import { bareRuns, batchedLoad } from './engine-load.js';

const SIZES = [1, 2, 4, 8];
const PATHS = ['engine', 'caller'] as const;
const suffix = (where: (typeof PATHS)[number]) => (where === 'engine' ? '' : '.caller');
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
      await warmupEngine(cold, { inputName: 'images', itemDims: [3, 640, 640], batchSizes: SIZES, normalize: {} });
      coldWarmup.push(performance.now() - t1);
      await cold.close();
    }

    // Bare and batched back to back per N, so a change in machine load hits both sides alike.
    const { session } = await createSessionWithFallback(model, ['cpu'], SETTINGS);
    const engine = await createEngine({ modelPath: model, providers: ['cpu'], ...SETTINGS });
    // Both paths' shapes: float feeds (caller) and pixel feeds normalised in the worker (engine).
    await warmupEngine(engine, { inputName: 'images', itemDims: [3, 640, 640], batchSizes: SIZES });
    await warmupEngine(engine, { inputName: 'images', itemDims: [3, 640, 640], batchSizes: SIZES, normalize: {} });
    const rounds = ctx.quick ? 1 : 3;
    const lags = { engine: [] as number[], caller: [] as number[] };
    for (const n of SIZES) {
      const bare: number[] = [];
      const ips = { engine: [] as number[], caller: [] as number[] };
      const prep = { engine: [] as number[], caller: [] as number[] };
      const lag = { engine: 0, caller: 0 };
      for (let r = 0; r < rounds; r++) {
        const ms = await bareRuns(session, n, runs);
        bare.push(...ms.map((m) => (n * 1000) / m));
        if (n === 1 && r === 0) results.push(summarize('engine.bare.b1_ms', 'ms', ms, { note: 'session.run, batch 1, main thread' }));
        // Alternate which path goes first, so drift in machine load does not favour one.
        for (const where of r % 2 === 0 ? PATHS : [...PATHS].reverse()) {
          const ends: number[] = [];
          const batcher = { maxQueueDelayUs: 1_000_000, maxInFlight: 2, maxQueue: 64 };
          const onBatch = () => ends.push(performance.now());
          const p = where === 'engine'
            ? createBatchedInference({ engine, inputName: 'images', inputDims: [3, 640, 640], batchSizes: [n], clock: createSystemClock(), batcher, onBatch })
            : normalisedHere(engine, n, batcher, onBatch);
          const load = await batchedLoad(p, n, runs, () => ends);
          await p.close();
          ips[where].push(...load.imagesPerS);
          prep[where].push(...load.prepMs);
          lag[where] = Math.max(lag[where], load.maxLagMs);
        }
      }
      results.push(summarize(`engine.bare.b${n}`, 'img/s', bare, { note: 'session.run loop, main thread' }));
      for (const where of PATHS) {
        lags[where].push(lag[where]);
        const ratio = median(ips[where]) / median(bare);
        results.push(summarize(`engine.batched.b${n}${suffix(where)}`, 'img/s', ips[where], {
          target: { op: '>=', value: Math.round(95 * median(bare)) / 100 },
          note: `batched+worker, normalised in ${where}; / bare = ${ratio.toFixed(3)} (target >= 0.95)`,
        }));
        results.push(summarize(`engine.main_prep_ms.b${n}${suffix(where)}`, 'ms', prep[where], {
          note: `main-thread batch build (${where === 'engine' ? 'pack uint8 pixels' : 'normalise into a fresh float tensor'}), the event-loop block per batch`,
        }));
      }
      const [e, c] = [median(ips.engine), median(ips.caller)];
      ctx.progress(`b${n}: bare ${median(bare).toFixed(2)}, engine ${e.toFixed(2)}, caller ${c.toFixed(2)} img/s, lag ${lag.engine.toFixed(1)} / ${lag.caller.toFixed(1)} ms, main prep ${median(prep.engine).toFixed(2)} / ${median(prep.caller).toFixed(2)} ms`);
    }
    await session.release();
    await engine.close();
    for (const where of PATHS) {
      results.push(summarize(`engine.loop_lag_max${suffix(where)}`, 'ms', lags[where], {
        target: { op: '<', value: 20 },
        note: `worst 5 ms timer lag per batch size 1/2/4/8 under full batched load, normalised in ${where}; overall max ${Math.max(...lags[where]).toFixed(1)} ms`,
      }));
    }
    results.push(summarize('coldstart.session', 'ms', coldSession, { note: 'createEngine: worker start + ORT session (cpu)' }));
    results.push(summarize('coldstart.warmup', 'ms', coldWarmup, { note: 'warmupEngine (pixel feeds), batch sizes 1,2,4,8, one run each' }));
    return results;
  },
};

/** The old main-thread path: a fresh float tensor normalised on this thread per batch, run as it is. */
function normalisedHere(engine: Engine, n: number, batcher: { maxQueueDelayUs: number; maxInFlight: number; maxQueue: number }, onBatch: () => void): Pick<BatchedInference, 'infer' | 'close'> {
  const normalizer = createNormalizer();
  const size = { width: 640, height: 640 };
  const b = createBatcher<Uint8Array, { preprocessMs: number }>({
    ...batcher, maxBatchSize: n, clock: createSystemClock(), onBatch,
    async run(items) {
      const t0 = performance.now();
      const { tensor } = assembleBatch(items.map((pixels) => ({ pixels, size })), [n], {}, { normalizer });
      const preprocessMs = performance.now() - t0;
      await engine.run({ images: tensor });
      return items.map(() => ({ preprocessMs }));
    },
  });
  return {
    infer: (item) => b.submit((item as { pixels: Uint8Array }).pixels) as unknown as ReturnType<BatchedInference['infer']>,
    close: () => b.close(),
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}
