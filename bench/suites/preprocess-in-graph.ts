/**
 * @module bench/suites/preprocess-in-graph
 * `engine.preprocessInGraph` against the default, side by side on yolov8n (CPU, intraOpThreads
 * 2, one worker each): the same batched inference fed uint8 pixels, normalised either by the
 * worker's WASM kernel (`.worker`) or by the nodes the rewrite adds to the graph (`.graph`).
 * Images/s at batch 1 and 8 (the paths alternate per round so machine drift hits both), and the
 * main-thread time per batch (packing the pixels: the same work on both paths, shown to prove it).
 */
import { createSystemClock } from '../../infra/host.js';
import { createEngine, warmupEngine, type WorkerEngine } from '../../infra/engine/engine.js';
import { createBatchedInference } from '../../infra/model/inference.js';
import { MODELS } from '../../test/helpers/shared-data.js';
import { type BenchResult, type BenchSuite, median, summarize } from '../report.js';
import { batchedLoad } from './engine-load.js';

const SIZES = [1, 8];
const PATHS = ['worker', 'graph'] as const;
const SETTINGS = { intraOpThreads: 2, interOpThreads: 1, graphOptimizationLevel: 'all', enableMemArena: true, allowSpinning: true } as const;

export const preprocessInGraphSuite: BenchSuite = {
  name: 'preprocess_in_graph',
  async run(ctx) {
    const runs = ctx.quick ? 3 : 8;
    const rounds = ctx.quick ? 1 : 3;
    const model = MODELS.yolov8n();
    const engines: Record<(typeof PATHS)[number], WorkerEngine> = {
      worker: await createEngine({ modelPath: model, providers: ['cpu'], ...SETTINGS }),
      graph: await createEngine({ modelPath: model, providers: ['cpu'], ...SETTINGS, preprocessInGraph: { images: {} } }),
    };
    for (const e of Object.values(engines)) await warmupEngine(e, { inputName: 'images', itemDims: [3, 640, 640], batchSizes: SIZES, normalize: {} });
    const results: BenchResult[] = [];
    for (const n of SIZES) {
      const ips = { worker: [] as number[], graph: [] as number[] };
      const prep = { worker: [] as number[], graph: [] as number[] };
      for (let r = 0; r < rounds; r++) {
        for (const where of r % 2 === 0 ? PATHS : [...PATHS].reverse()) {
          const ends: number[] = [];
          const p = createBatchedInference({
            engine: engines[where], inputName: 'images', inputDims: [3, 640, 640], batchSizes: [n], clock: createSystemClock(),
            batcher: { maxQueueDelayUs: 1_000_000, maxInFlight: 2, maxQueue: 64 }, onBatch: () => ends.push(performance.now()),
          });
          const load = await batchedLoad(p, n, runs, () => ends);
          await p.close();
          ips[where].push(...load.imagesPerS);
          prep[where].push(...load.prepMs);
        }
      }
      for (const where of PATHS) {
        const note = where === 'graph' ? 'normalised by the rewritten graph (Transpose, Cast, Div nodes)' : 'normalised by the worker (WASM SIMD), the default';
        const ratio = where === 'graph' ? `; graph / worker = ${(median(ips.graph) / median(ips.worker)).toFixed(3)}` : '';
        results.push(summarize(`preprocess_in_graph.b${n}.${where}`, 'img/s', ips[where], { note: `yolov8n batch ${n}, ${note}${ratio}` }));
        results.push(summarize(`preprocess_in_graph.main_ms.b${n}.${where}`, 'ms', prep[where], { note: 'main-thread time per batch (pack uint8 pixels)' }));
      }
      ctx.progress(`b${n}: worker ${median(ips.worker).toFixed(2)}, graph ${median(ips.graph).toFixed(2)} img/s; main ${median(prep.worker).toFixed(2)} / ${median(prep.graph).toFixed(2)} ms`);
    }
    await Promise.all(Object.values(engines).map((e) => e.close()));
    return results;
  },
};
