/**
 * @module infra/runtime/pixel-buffers
 * Recycled uint8 batch buffers for engine-side normalisation: the engine worker takes each one on
 * run and hands it back with the result, and a buffer that is reused is not page-faulted again
 * (1.2 MB per 640x640 slot). Kept per byte length; at most `keep` spare ones per length.
 */
import type { TensorMap } from '../../core/ports/index.js';

export interface PixelBuffers {
  /** A spare buffer of exactly `length` bytes, or undefined (the caller allocates). */
  take(length: number): Uint8Array | undefined;
  /** The engine's `recycle` callback: keeps the returned pixel buffers for later batches. */
  give(pixels: TensorMap): void;
}

export function createPixelBuffers(keep: number): PixelBuffers {
  const spare = new Map<number, Uint8Array[]>();
  return {
    take: (length) => spare.get(length)?.pop(),
    give(pixels) {
      for (const t of Object.values(pixels)) {
        if (!(t.data instanceof Uint8Array) || t.data.byteOffset !== 0 || t.data.length !== t.data.buffer.byteLength) continue;
        const list = spare.get(t.data.length) ?? [];
        if (list.length < keep) list.push(t.data);
        spare.set(t.data.length, list);
      }
    },
  };
}
