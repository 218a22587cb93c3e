/**
 * Crashing an engine thread on cue, through public seams only: an engine created with
 * `workerScript: CRASHING_ENGINE_WORKER` runs the real worker, and a run whose feeds include
 * `crashFeed()` makes the thread that takes it exit (code 70) mid-run; while
 * `failLoadMarker(modelPath)` exists, new threads fail to load their module.
 */
import type { TensorMap } from '../../core/types.js';

export const CRASHING_ENGINE_WORKER = new URL('../fixtures/crashing-engine-worker.mjs', import.meta.url);

/** A feed the crashing worker exits on (fresh each time: runs transfer their feeds' buffers). */
export function crashFeed(): TensorMap {
  return { crash: { dtype: 'uint8', dims: [1], data: new Uint8Array(1) } };
}

/** The file whose existence makes the crashing worker's module fail to load. */
export const failLoadMarker = (modelPath: string): string => `${modelPath}.fail-load`;
