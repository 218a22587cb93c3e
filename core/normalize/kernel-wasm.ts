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

/** Pixels per tile: 24 KiB in, 3 x 32 KiB out, within the 2 pages the module declares. The generator hard-codes the 32 KiB plane stride. */
const CHUNK = 8192;
/** Pixels per kernel loop turn; the JS kernel does a tile's last < 16 pixels. */
const STEP = 16;
const IN = 0;
const OUT = 24_592; // CHUNK * 3 + 16 bytes of slack (each 4-pixel load reads 16 bytes for 12), 16-aligned

/**
 * The slice of the WebAssembly API used here, typed locally: core's purity check declares
 * WebAssembly itself while @types/node declares only parts of it, and this compiles under both.
 */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

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
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (typeof wasm !== 'object') return undefined;
  const bytes = Uint8Array.from(NORMALIZE_WASM);
  // validate() is false where the SIMD proposal is missing: the caller falls back to JS.
  if (!wasm.validate(bytes)) return undefined;
  const { exports } = new wasm.Instance(new wasm.Module(bytes));
  const memory = exports.memory as { readonly buffer: ArrayBuffer };
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
