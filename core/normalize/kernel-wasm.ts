/**
 * @module core/normalize/kernel-wasm
 * Runs the WebAssembly SIMD kernels (scripts/build-normalize-wasm.mjs) over tiles of CHUNK pixels.
 * WASM can only write its own memory, and that memory cannot be transferred to the engine
 * worker, so each tile is normalised into a small scratch region that stays in cache and copied
 * out with one `set` per plane: the batch tensor stays an ordinary, transferable ArrayBuffer.
 */
import { normalizeRangeJs, type buildLuts } from './kernel-js.js';
import type { MulForm } from './mul-form.js';
import type { NormalizePlan } from './types.js';
import { NORMALIZE_WASM } from './wasm-bytes.js';
import { instantiateSimd, reserveScratch } from '../wasm/index.js';

/** Pixels per tile: 24 KiB in, 3 x 32 KiB out, within the 2 pages the module declares. The generator hard-codes the 32 KiB plane stride. */
const CHUNK = 8192;
/** Pixels per kernel loop turn; the JS kernel does a tile's last < 16 pixels. */
const STEP = 16;
/** Input tile: 16 bytes of slack, as each 4-pixel load reads 16 bytes for 12. */
const IN_BYTES = CHUNK * 3 + 16;
/** Output tile: three f32 planes of CHUNK pixels, the stride the generator hard-codes. */
const OUT_BYTES = 3 * CHUNK * 4;

type KernelExport = (inPtr: number, steps: number, out: number, ...constants: number[]) => void;

export interface WasmKernel {
  /** `mul`: constants for the division-free form where exactMulForms verified it, else undefined. */
  run(
    src: Uint8Array,
    pixels: number,
    dst: Float32Array,
    offset: number,
    plan: NormalizePlan,
    luts: ReturnType<typeof buildLuts>,
    mul: readonly MulForm[] | undefined,
  ): void;
}

/** undefined where WebAssembly or its SIMD proposal is unavailable. */
export function createWasmKernel(): WasmKernel | undefined {
  const instance = instantiateSimd(NORMALIZE_WASM);
  if (!instance) return undefined;
  const { exports, memory } = instance;
  // Fixed tiles: laid out once, within the 2 pages the module declares (never grows).
  const [IN, OUT] = reserveScratch(memory, [IN_BYTES, OUT_BYTES]);
  const byDiv = exports.normalize_div as KernelExport;
  const byMul = exports.normalize_mul as KernelExport;
  const heap8 = new Uint8Array(memory.buffer);
  const heap32 = new Float32Array(memory.buffer);

  return {
    run(src, pixels, dst, offset, plan, luts, mul) {
      const kernel = mul ? byMul : byDiv;
      const k = mul ? mul.flatMap((m) => [m.hi, m.lo, m.add]) : plan.channels.flatMap((c) => [c.sub, c.div]);
      for (let p = 0; p < pixels; p += CHUNK) {
        const n = Math.min(CHUNK, pixels - p);
        const vec = n - (n % STEP);
        heap8.set(src.subarray(p * 3, (p + vec) * 3), IN);
        kernel(IN, vec / STEP, OUT, ...k);
        for (let c = 0; c < 3; c++) {
          const from = (OUT >> 2) + c * CHUNK;
          dst.set(heap32.subarray(from, from + vec), offset + plan.channels[c]!.plane * pixels + p);
        }
        if (vec < n) normalizeRangeJs(src, pixels, p + vec, n - vec, dst, offset, plan, luts);
      }
    },
  };
}
