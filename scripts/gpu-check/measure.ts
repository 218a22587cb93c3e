/**
 * @module scripts/gpu-check/measure
 * One execution provider through the project's own worker engine (createEngine, the path
 * serving takes: uint8 pixels in, normalised in the worker): session create time, the provider
 * actually used, latency per batch size and the raw outputs of the last run of each size.
 */
import type { ExecutionProvider, TensorMap } from '../../core/types.js';
import { summarize } from '../../bench/report.js';
import { createEngine } from '../../infra/engine/engine.js';

export interface BatchFigures {
  readonly batch: number;
  /** The first run of this shape (on a GPU: shader compilation and buffer set-up). */
  readonly firstRunMs: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly imagesPerS: number;
  readonly runs: number;
}

export type ProviderResult =
  | { readonly requested: ExecutionProvider; readonly ok: false; readonly error: string }
  | {
      readonly requested: ExecutionProvider;
      readonly ok: true;
      readonly providerUsed: ExecutionProvider;
      /** createEngine wall time: worker start + ORT session. */
      readonly createMs: number;
      /** The worker's own measure of session creation. */
      readonly sessionMs: number;
      readonly batches: readonly BatchFigures[];
      /** Raw outputs of the last timed run, by batch size. */
      readonly outputs: ReadonlyMap<number, TensorMap>;
    };

export interface MeasureOptions {
  readonly modelPath: string;
  readonly workerScript: string;
  /** HWC uint8 RGB images of the model's input size; batch item i is image i % length. */
  readonly images: readonly Uint8Array[];
  readonly size: { readonly width: number; readonly height: number };
  readonly batches: readonly number[];
  readonly iterations: number;
}

export async function measureProvider(requested: ExecutionProvider, o: MeasureOptions): Promise<ProviderResult> {
  const t0 = performance.now();
  let engine;
  try {
    // One worker, no retries: a provider that cannot start is the answer, not a fault to recover from.
    engine = await createEngine({ modelPath: o.modelPath, providers: [requested], workers: 1, workerScript: o.workerScript });
  } catch (err) {
    return { requested, ok: false, error: (err as Error).message };
  }
  const createMs = performance.now() - t0;
  const input = engine.inputs[0]!.name;
  const batches: BatchFigures[] = [];
  const outputs = new Map<number, TensorMap>();
  try {
    const options = { normalize: { [input]: { dtype: 'float32' as const } } };
    for (const batch of o.batches) {
      // Fresh pixels per run (built outside the timing): the engine transfers (detaches) the buffer it is given.
      const f0 = performance.now();
      await engine.run(pixelBatch(input, batch, o), options);
      const firstRunMs = performance.now() - f0;
      const ms: number[] = [];
      let last: TensorMap = {};
      for (let i = 0; i < o.iterations; i++) {
        const feeds = pixelBatch(input, batch, o);
        const r0 = performance.now();
        last = await engine.run(feeds, options);
        ms.push(performance.now() - r0);
      }
      const s = summarize(`b${batch}`, 'ms', ms);
      batches.push({ batch, firstRunMs, medianMs: s.median, p95Ms: s.p95, imagesPerS: (batch * 1000) / s.median, runs: s.n });
      outputs.set(batch, last);
    }
  } finally {
    await engine.close();
  }
  return { requested, ok: true, providerUsed: engine.provider, createMs, sessionMs: engine.sessionMs, batches, outputs };
}

function pixelBatch(input: string, batch: number, o: MeasureOptions): TensorMap {
  const { width, height } = o.size;
  const item = width * height * 3;
  const data = new Uint8Array(batch * item);
  for (let i = 0; i < batch; i++) data.set(o.images[i % o.images.length]!, i * item);
  return { [input]: { dtype: 'uint8', dims: [batch, height, width, 3], data } };
}
