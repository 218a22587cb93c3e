/**
 * @module infra/engine/warmup
 * Runs every batch shape the batcher can produce before traffic arrives: on GPU each new
 * input shape costs a cuDNN/TensorRT set-up, on CPU the first run allocates the arena. With
 * several workers each shape is sent `parallel` times at once so that every worker sees it.
 * With `normalize`, it sends uint8 pixel batches for the engine to normalise, as serving does,
 * so the worker's float tensors and normalizer are warm too.
 */
import type { NormalizeOptions } from '../../core/normalize/index.js';
import { elementCount, type Engine, type EngineRunOptions, type TensorDType, type TensorMap } from '../../core/ports/index.js';
import { expectInteger, invalidParameterError } from '../../core/validate/index.js';
import type { EngineLogger } from './types.js';

export interface WarmupOptions {
  readonly inputName: string;
  /** Per-item dims without the batch dimension, e.g. [3, 640, 640]. */
  readonly itemDims: readonly number[];
  /** Every batch size the batcher can produce. */
  readonly batchSizes: readonly number[];
  /** @default 'float32' */
  readonly dtype?: 'float32' | 'float16';
  /**
   * Send HWC uint8 pixels [B, H, W, 3] with these options (dtype set from `dtype`), the path
   * batched inference takes by default; without it, ready float tensors. @default undefined
   */
  readonly normalize?: Partial<NormalizeOptions>;
  /** Runs per shape (per worker). @default 1 */
  readonly iterations?: number;
  /** Concurrent runs per iteration: the engine's worker count, so each worker warms up. @default 1 */
  readonly parallel?: number;
  readonly logger?: EngineLogger;
}

export interface WarmupShape {
  readonly batchSize: number;
  /** Wall time of each iteration (all parallel runs), in ms. */
  readonly ms: readonly number[];
}

export async function warmupEngine(engine: Engine, o: WarmupOptions): Promise<WarmupShape[]> {
  const iterations = expectInteger('iterations', o.iterations ?? 1, 1, 1000);
  const parallel = expectInteger('parallel', o.parallel ?? 1, 1, 64);
  if (o.batchSizes.length === 0) throw invalidParameterError('batchSizes', 'non-empty array', o.batchSizes);
  const dtype: TensorDType = o.dtype ?? 'float32';
  const normalize = o.normalize ? { [o.inputName]: { ...o.normalize, dtype } } : undefined;
  const shapes: WarmupShape[] = [];
  for (const batchSize of o.batchSizes) {
    const dims = [expectInteger('batchSizes[]', batchSize, 1), ...o.itemDims];
    const ms: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      // Fresh buffers per run: the engine transfers (detaches) them.
      await Promise.all(Array.from({ length: parallel }, () => engine.run(...request(o.inputName, dtype, dims, normalize))));
      ms.push(performance.now() - t0);
    }
    o.logger?.info({ batchSize, ms }, 'engine warmup');
    shapes.push({ batchSize, ms });
  }
  return shapes;
}

function request(name: string, dtype: TensorDType, dims: number[], normalize: EngineRunOptions['normalize']): [TensorMap, EngineRunOptions] {
  if (!normalize) return [feeds(name, dtype, dims), {}];
  const [b, c, h, w] = dims as [number, number, number, number];
  if (c !== 3) throw invalidParameterError('itemDims[0]', '3 channels (normalize takes RGB pixels)', c);
  return [{ [name]: { dtype: 'uint8', dims: [b, h, w, 3], data: new Uint8Array(b * h * w * 3) } }, { normalize }];
}

function feeds(name: string, dtype: TensorDType, dims: number[]): TensorMap {
  const n = elementCount(dims);
  // float16 zero is 0x0000, so a zeroed Uint16Array is a valid float16 tensor of zeros.
  const data = dtype === 'float16' ? new Uint16Array(n) : new Float32Array(n);
  return { [name]: { dtype, dims, data } };
}
