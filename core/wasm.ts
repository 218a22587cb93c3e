/**
 * @module core/wasm
 * What core's WebAssembly SIMD kernels (resize, normalize, decode's class scan) share: an
 * instance of a generated module (the `*_WASM` byte lists in core/wasm-bytes), the choice between
 * it and the kernel's JS route, and the layout of scratch regions in its memory.
 *
 * Every kernel has a JS route that gives the same results, so where WebAssembly or its SIMD
 * proposal is missing a kernel quietly falls back, unless the caller asked for 'wasm-simd'. An
 * instance owns its memory: kernels hold one per thread and never share it.
 */
import { expectOneOf, invalidParameterError } from './errors.js';

/**
 * The slice of the WebAssembly API used here, typed locally: core's purity check declares
 * WebAssembly itself while @types/node declares only parts of it, and this compiles under both.
 */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

/** The memory every generated module declares and exports as `memory`. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface SimdInstance {
  /** The module's exported functions, by name; callers cast each to its signature. */
  readonly exports: Readonly<Record<string, unknown>>;
  /** The module's own memory (its initial size is declared by the generator). */
  readonly memory: WasmMemory;
}

/**
 * A fresh instance with its own memory: one per kernel object, never shared between threads.
 * undefined where WebAssembly or its SIMD proposal is unavailable (validate() is false there).
 */
export function instantiateSimd(bytes: readonly number[]): SimdInstance | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (typeof wasm !== 'object') return undefined;
  const binary = Uint8Array.from(bytes);
  if (!wasm.validate(binary)) return undefined;
  const { exports } = new wasm.Instance(new wasm.Module(binary));
  return { exports, memory: exports.memory as WasmMemory };
}

// Choosing a route, the same way for every kernel, from its `route` option: 'auto' takes SIMD
// where it validates, 'js' never, 'wasm-simd' or an error.

/** Which kernel runs: WebAssembly SIMD, or plain JS where SIMD is unavailable. */
export type KernelRoute = 'wasm-simd' | 'js';

/**
 * The SIMD kernel `create()` builds, or undefined for the JS route. Throws the validation error
 * for a route that is not one of 'auto' | 'wasm-simd' | 'js', and for 'wasm-simd' where
 * `create()` returns undefined (no WebAssembly SIMD in this runtime).
 * @param route @default 'auto'
 */
export function pickWasmKernel<K>(route: 'auto' | KernelRoute | undefined, create: () => K | undefined): K | undefined {
  const want = expectOneOf('route', route ?? 'auto', ['auto', 'wasm-simd', 'js'] as const);
  const kernel = want === 'js' ? undefined : create();
  if (want === 'wasm-simd' && !kernel) throw invalidParameterError('route', 'a route this runtime supports (no WebAssembly SIMD)', want);
  return kernel;
}

// Scratch layout in a module's memory. WASM reads and writes only its own memory, so kernels
// copy their input into regions of it and their output out of it; each region starts 16-byte
// aligned so the v128 loads and stores of the generated kernels stay aligned.

const PAGE_BYTES = 65536;

/** `bytes` rounded up to a multiple of 16. */
export const up16 = (bytes: number): number => (bytes + 15) & ~15;

/**
 * Places regions of `sizes` bytes one after another from offset 0, each start rounded up to 16,
 * grows `memory` (whole pages) until the last one fits, and returns the start offsets.
 * Views taken on `memory.buffer` before a call are stale after it: take them afterwards.
 */
export function reserveScratch(memory: WasmMemory, sizes: readonly number[]): number[] {
  const offsets: number[] = [];
  let end = 0;
  for (const size of sizes) {
    const at = up16(end);
    offsets.push(at);
    end = at + size;
  }
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / PAGE_BYTES));
  return offsets;
}
