/**
 * @module bench/suites/engine-load
 * Load drivers for the engine suite: a bare main-thread session.run loop, and batched
 * inference kept full by concurrent submitters while a 5 ms timer measures event-loop lag.
 */
import type * as ort from 'onnxruntime-node';
import type { BatchedInference } from '../../infra/model/inference.js';
import { toOrtFeeds } from '../../infra/engine/session.js';
import { randomImages, randomPixels } from '../../test/helpers/tensor-fixtures.js';

/** ms per session.run of one batch of `n` images, in the calling (main) thread. */
export async function bareRuns(session: ort.InferenceSession, n: number, runs: number): Promise<number[]> {
  const feeds = toOrtFeeds({ images: randomImages(n, n) });
  await session.run(feeds); // first run of a shape allocates; not counted
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    ms.push(performance.now() - t0);
  }
  return ms;
}

export interface LoadResult {
  /** Images/s between consecutive batch completions. */
  readonly imagesPerS: number[];
  /** Worst lateness of a 5 ms interval timer during the load, ms. */
  readonly maxLagMs: number;
  /** Main-thread time building each batch (InferResult.preprocessMs), one entry per batch. */
  readonly prepMs: number[];
}

/**
 * `2 * n` submitters loop on `infer` so that a full batch of `n` is always waiting while
 * another runs (maxInFlight 2). The first `skip` batches (pipeline filling) are not counted.
 */
export async function batchedLoad(p: Pick<BatchedInference, 'infer'>, n: number, batches: number, done: () => number[], skip = 1): Promise<LoadResult> {
  const pixels = Array.from({ length: 2 * n }, (_, i) => randomPixels(i));
  let maxLagMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - 5);
    last = now;
  }, 5);
  let stop = false;
  const prepMs: number[] = [];
  const loops = pixels.map(async (px, i) => {
    while (!stop) {
      const r = await p.infer({ pixels: px });
      if (i === 0) prepMs.push(r.preprocessMs); // one submitter: roughly one entry per batch
    }
  });
  while (done().length < batches + skip + 1) await new Promise((r) => setTimeout(r, 20));
  stop = true;
  await Promise.all(loops);
  clearInterval(timer);
  const t = done().slice(skip, skip + batches + 1);
  const imagesPerS = t.slice(1).map((end, i) => (n * 1000) / (end - t[i]!));
  return { imagesPerS, maxLagMs, prepMs };
}
