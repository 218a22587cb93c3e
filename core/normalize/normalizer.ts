/**
 * @module core/normalize/normalizer
 * `createNormalizer`: owns one WASM kernel instance (its scratch memory is reused, never
 * shared), so hold one per thread for the hot path. `normalizeInto` writes HWC uint8 RGB as
 * CHW straight into a slot of a preallocated batch tensor.
 */
import { expectInteger, invalidParameterError } from '../validate/index.js';
import { pickWasmKernel } from '../wasm/index.js';
import type { Size } from '../types.js';
import { buildLuts, normalizeRangeJs } from './kernel-js.js';
import { createWasmKernel } from './kernel-wasm.js';
import { exactMulForms, type MulForm } from './mul-form.js';
import { planNormalize } from './plan.js';
import type { NormalizeOptions, NormalizePlan, NormalizeRoute } from './types.js';

export interface Normalizer {
  /** The kernel float32 work runs on; float16 always uses the JS table kernel. */
  readonly route: NormalizeRoute;
  /**
   * Writes `src` (HWC uint8, 3 channels, `size`) as CHW into `dst` from element `offset`.
   * Options are planned once per object identity: pass a new object to change them, never mutate.
   */
  normalizeInto(src: Uint8Array, size: Size, dst: Float32Array | Uint16Array, offset: number, options?: Partial<NormalizeOptions>): void;
}

export interface NormalizerOptions {
  /** 'auto' picks wasm-simd where WebAssembly SIMD validates, else js. @default 'auto' */
  readonly route?: 'auto' | NormalizeRoute;
}

export function createNormalizer(options: NormalizerOptions = {}): Normalizer {
  const wasm = pickWasmKernel(options.route, createWasmKernel);
  // Batches reuse one options object: keep its plan and tables (768 values) for the next call.
  let last:
    | { opts: Partial<NormalizeOptions> | undefined; plan: NormalizePlan; luts: ReturnType<typeof buildLuts>; mul: MulForm[] | undefined }
    | undefined;
  return {
    route: wasm ? 'wasm-simd' : 'js',
    normalizeInto(src, size, dst, offset, opts) {
      if (!last || last.opts !== opts) {
        const fresh = planNormalize(opts);
        last = { opts, plan: fresh, luts: buildLuts(fresh), mul: wasm ? exactMulForms(fresh.channels) : undefined };
      }
      const { plan, luts, mul } = last;
      if (!(src instanceof Uint8Array)) throw invalidParameterError('src', 'Uint8Array', src);
      const w = expectInteger('size.width', size?.width, 1);
      const h = expectInteger('size.height', size?.height, 1);
      const pixels = w * h;
      if (src.length !== pixels * 3) throw invalidParameterError('src.length', `${pixels * 3} (width x height x 3)`, src.length);
      const ctor = plan.dtype === 'float16' ? Uint16Array : Float32Array;
      if (!(dst instanceof ctor)) throw invalidParameterError('dst', `${ctor.name} for dtype ${plan.dtype}`, dst);
      expectInteger('offset', offset, 0, dst.length - pixels * 3);
      if (wasm && dst instanceof Float32Array) wasm.run(src, pixels, dst, offset, plan, luts, mul);
      else normalizeRangeJs(src, pixels, 0, pixels, dst, offset, plan, luts);
    },
  };
}
