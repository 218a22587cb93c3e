import { afterEach, describe, expect, it, vi } from 'vitest';
import { DECODE_WASM } from '../decode/wasm-bytes.js';
import { instantiateSimd } from './instance.js';
import { pickWasmKernel } from './route.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('pickWasmKernel', () => {
  const create = () => instantiateSimd(DECODE_WASM);

  it("takes the kernel for 'auto' and 'wasm-simd', none for 'js'", () => {
    expect(pickWasmKernel(undefined, create)).toBeDefined();
    expect(pickWasmKernel('auto', create)).toBeDefined();
    expect(pickWasmKernel('wasm-simd', create)).toBeDefined();
    let called = false;
    expect(pickWasmKernel('js', () => ((called = true), create()))).toBeUndefined();
    expect(called).toBe(false);
  });

  it("falls back for 'auto' and refuses 'wasm-simd' without SIMD", () => {
    // Mock: every runtime here has SIMD, so one without it is simulated by stubbing validate().
    vi.stubGlobal('WebAssembly', { ...((globalThis as Record<string, unknown>).WebAssembly as object), validate: () => false });
    expect(pickWasmKernel('auto', create)).toBeUndefined();
    expect(() => pickWasmKernel('wasm-simd', create)).toThrow(
      'Expected a route this runtime supports (no WebAssembly SIMD) for route but received "wasm-simd" of type string',
    );
  });

  it('refuses an unknown route', () => {
    expect(() => pickWasmKernel('gpu' as 'js', create)).toThrow(/Expected one of auto, wasm-simd, js for route/);
  });
});
