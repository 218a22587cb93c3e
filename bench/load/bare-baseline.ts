/**
 * @module bench/load/bare-baseline
 * The engine figures the HTTP targets are relative to: a bare yolov8n session.run on the main
 * thread (CPU, the engine suite's thread settings), batch 1 latency and the best images/s
 * over batches 1/2/4/8. Mid-grey input: CPU time of this graph does not depend on pixels.
 */
import { ENGINE_DEFAULTS } from '../../infra/engine/engine.js';
import { createSessionWithFallback, toOrtFeeds } from '../../infra/engine/session.js';
import { percentile } from '../report.js';

// The engine defaults (whatever session knobs they carry) with the engine suite's thread counts.
const SETTINGS = { ...ENGINE_DEFAULTS, intraOpThreads: 2, interOpThreads: 1 };

export interface BareBaseline {
  readonly b1Ms: number;
  readonly bestImgS: number;
  readonly bestN: number;
}

export async function bareBaseline(modelPath: string, runs: number): Promise<BareBaseline> {
  const { session } = await createSessionWithFallback(modelPath, ['cpu'], SETTINGS);
  let b1Ms = NaN;
  let bestImgS = 0;
  let bestN = 1;
  try {
    for (const n of [1, 2, 4, 8]) {
      const feeds = toOrtFeeds({ images: { dtype: 'float32', dims: [n, 3, 640, 640], data: new Float32Array(n * 3 * 640 * 640).fill(0.5) } });
      await session.run(feeds); // the first run of a shape allocates: not counted
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await session.run(feeds);
        ms.push(performance.now() - t0);
      }
      const med = percentile(ms.sort((a, b) => a - b), 50);
      if (n === 1) b1Ms = med;
      if ((n * 1000) / med > bestImgS) [bestImgS, bestN] = [(n * 1000) / med, n];
    }
  } finally {
    await session.release();
  }
  return { b1Ms, bestImgS, bestN };
}
