/**
 * @module core/normalize/normalize-into
 * The stateless form: builds a JS-route normalizer per call. Use createNormalizer() and keep
 * it where speed matters (batch assembly), which gets the WASM SIMD kernel.
 */
import type { Size } from '../types.js';
import { createNormalizer } from './normalizer.js';
import type { NormalizeOptions } from './types.js';

export function normalizeInto(
  src: Uint8Array,
  size: Size,
  dst: Float32Array | Uint16Array,
  offset: number,
  options?: Partial<NormalizeOptions>,
): void {
  createNormalizer({ route: 'js' }).normalizeInto(src, size, dst, offset, options);
}
