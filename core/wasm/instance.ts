/**
 * @module core/wasm/instance
 * Instantiates one of core's generated WebAssembly SIMD modules (the `*_WASM` byte lists that
 * scripts/build-*-wasm.mjs write), or says it cannot: every kernel has a JS route to fall back on.
 */

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
