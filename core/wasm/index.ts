/**
 * @module core/wasm
 * What core's WebAssembly SIMD kernels (normalize, resize, decode) share at run time.
 */
export { instantiateSimd } from './instance.js';
export type { SimdInstance, WasmMemory } from './instance.js';
export { reserveScratch, up16 } from './scratch.js';
export { pickWasmKernel } from './route.js';
export type { KernelRoute } from './route.js';
