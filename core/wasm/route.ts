/**
 * @module core/wasm/route
 * How every kernel with a WebAssembly SIMD route and a JS route picks one, from the same
 * `route` option: 'auto' takes SIMD where it validates, 'js' never, 'wasm-simd' or an error.
 */
import { expectOneOf, invalidParameterError } from '../validate/index.js';

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
