/**
 * Deterministic inputs for engine tests: seeded pseudo-random pixels and tensors, so runs
 * are repeatable without reading image files.
 */
import type { Tensor } from '../../core/types.js';

/** Mulberry32: small, seeded, good enough for test inputs. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** HWC RGB uint8 pixels, as the decoder produces them. */
export function randomPixels(seed: number, width = 640, height = 640): Uint8Array {
  const next = seeded(seed);
  const px = new Uint8Array(width * height * 3);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(next() * 256);
  return px;
}

/** A float32 NCHW input in [0, 1). */
export function randomImages(seed: number, batch: number, size = 640): Tensor {
  const next = seeded(seed);
  const data = new Float32Array(batch * 3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = next();
  return { dtype: 'float32', dims: [batch, 3, size, size], data };
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
