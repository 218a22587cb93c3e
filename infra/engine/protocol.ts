/**
 * @module infra/engine/protocol
 * Messages between the pool (main thread) and an engine worker. Tensors travel as core
 * Tensors whose ArrayBuffers are in the postMessage transfer list, never copied.
 */
import type { NormalizeOptions } from '../../core/normalize/index.js';
import type { ExecutionProvider, TensorInfo, TensorMap } from '../../core/ports/index.js';
import type { ResolvedEngineOptions } from './options.js';

/** Options only the main thread uses (the pool, restarts, close); never sent to a worker. */
export type MainThreadOnly = 'workers' | 'logger' | 'restartBackoff' | 'closeTimeoutMs' | 'clock';

/** Passed as workerData: everything a worker needs to create its session (the resolved options minus main-thread-only fields). */
export type WorkerInit = Omit<ResolvedEngineOptions, MainThreadOnly>;

export interface SkippedProvider {
  readonly provider: ExecutionProvider;
  readonly reason: string;
}

/** By input name: feeds of uint8 [B, H, W, 3] pixels the worker normalises (checked by the pool). */
export type NormalizeFeeds = Readonly<Record<string, Partial<NormalizeOptions>>>;

export type ToWorker =
  | { readonly type: 'run'; readonly id: number; readonly feeds: TensorMap; readonly normalize?: NormalizeFeeds; readonly crash?: boolean }
  // Outputs of an earlier run the caller is done reading: the worker writes later runs into them.
  | { readonly type: 'reuse'; readonly outputs: TensorMap }
  | { readonly type: 'close' };

export type FromWorker =
  | {
      readonly type: 'ready';
      readonly provider: ExecutionProvider;
      readonly skipped: readonly SkippedProvider[];
      readonly inputs: readonly TensorInfo[];
      readonly outputs: readonly TensorInfo[];
      readonly metadata: Record<string, string>;
      readonly sessionMs: number;
    }
  | { readonly type: 'init-failed'; readonly skipped: readonly SkippedProvider[]; readonly message: string }
  // `returned`: the normalised feeds' pixel buffers, handed back for reuse; `reused`: outputs written into buffers given back by 'reuse'.
  | { readonly type: 'result'; readonly id: number; readonly outputs: TensorMap; readonly reused: number; readonly runMs: number; readonly returned?: TensorMap }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly returned?: TensorMap };

/** Buffers to transfer for a tensor map (views into a shared or pooled buffer are not moved). */
export function transferList(tensors: TensorMap): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const t of Object.values(tensors)) {
    const buf = t.data.buffer;
    if (buf instanceof ArrayBuffer && !list.includes(buf)) list.push(buf);
  }
  return list;
}
