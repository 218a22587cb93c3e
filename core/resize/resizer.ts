/**
 * @module core/resize/resizer
 * `createLinearResizer`: owns one WASM kernel instance (its memory is reused between calls,
 * never shared), so hold one per thread. 3-channel images take the WebAssembly SIMD route where
 * it validates; anything else takes the JS reference. Both give the same bytes (tested).
 */
import { pickWasmKernel, type KernelRoute } from '../wasm/index.js';
import { createWasmResizeKernel } from './kernel-wasm.js';
import { resizeLinearInto, type Raster, type Region } from './linear.js';

export type ResizeRoute = KernelRoute;

export interface LinearResizer {
  /** The route 3-channel images take. */
  readonly route: ResizeRoute;
  /** Resize all of `src` into `region` of `dst` (same channel count), in place. */
  resizeInto(src: Raster, dst: Raster, region: Region): void;
}

export interface LinearResizerOptions {
  /** 'auto' picks wasm-simd where WebAssembly SIMD validates, else js. @default 'auto' */
  readonly route?: 'auto' | ResizeRoute;
}

export function createLinearResizer(options: LinearResizerOptions = {}): LinearResizer {
  const wasm = pickWasmKernel(options.route, createWasmResizeKernel);
  return {
    route: wasm ? 'wasm-simd' : 'js',
    resizeInto(src, dst, region) {
      if (wasm && src.channels === 3 && dst.channels === 3) wasm.resizeInto(src, dst, region);
      else resizeLinearInto(src, dst, region);
    },
  };
}
