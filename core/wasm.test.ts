/**
 * @module core/wasm.test
 * What the kernels share: each generated module instantiates with its declared memory and
 * exports, routes fall back (or refuse) without SIMD, and scratch regions stay 16-byte aligned
 * and grow memory by whole pages.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DECODE_WASM, NORMALIZE_WASM, RESIZE_WASM } from './wasm-bytes.js';
import { instantiateSimd, pickWasmKernel, reserveScratch, up16 } from './wasm.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Mock: every runtime here has SIMD, so one without it (or without WebAssembly) is simulated by stubbing the global. */
const withoutSimd = () =>
  vi.stubGlobal('WebAssembly', { ...((globalThis as Record<string, unknown>).WebAssembly as object), validate: () => false });

describe('instantiateSimd', () => {
  it.each([
    ['normalize', NORMALIZE_WASM, 2, ['normalize_div', 'normalize_mul']],
    ['resize', RESIZE_WASM, 1, ['hrow', 'vrow']],
    ['decode', DECODE_WASM, 1, ['scan_rows']],
  ] as const)('instantiates the %s module with its declared memory and exports', (_name, bytes, pages, fns) => {
    const a = instantiateSimd(bytes)!;
    expect(a.memory.buffer.byteLength).toBe(pages * 65536);
    for (const fn of fns) expect(typeof a.exports[fn]).toBe('function');
    // Each call is its own instance: scratch memory is never shared.
    expect(instantiateSimd(bytes)!.memory).not.toBe(a.memory);
  });

  it('is undefined where SIMD does not validate or WebAssembly is missing', () => {
    withoutSimd();
    expect(instantiateSimd(DECODE_WASM)).toBeUndefined();
    vi.stubGlobal('WebAssembly', undefined);
    expect(instantiateSimd(DECODE_WASM)).toBeUndefined();
  });
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
    withoutSimd();
    expect(pickWasmKernel('auto', create)).toBeUndefined();
    expect(() => pickWasmKernel('wasm-simd', create)).toThrow(
      'Expected a route this runtime supports (no WebAssembly SIMD) for route but received "wasm-simd" of type string',
    );
  });

  it('refuses an unknown route', () => {
    expect(() => pickWasmKernel('gpu' as 'js', create)).toThrow(/Expected one of auto, wasm-simd, js for route/);
  });
});

/** A real module's memory (1 page declared), so growth is WebAssembly's own. */
const memory = () => instantiateSimd(RESIZE_WASM)!.memory;

describe('reserveScratch', () => {
  it('starts each region 16-byte aligned after the previous one', () => {
    expect(reserveScratch(memory(), [3, 16, 20, 1])).toEqual([0, 16, 32, 64]);
    expect(reserveScratch(memory(), [])).toEqual([]);
    expect([0, 1, 15, 16, 17].map(up16)).toEqual([0, 16, 16, 16, 32]);
  });

  it('grows the memory by whole pages only when the last region does not fit', () => {
    const m = memory();
    expect(m.buffer.byteLength).toBe(65536);
    reserveScratch(m, [65536]);
    expect(m.buffer.byteLength).toBe(65536);
    reserveScratch(m, [16, 65536]);
    expect(m.buffer.byteLength).toBe(2 * 65536);
    reserveScratch(m, [3 * 65536 + 1]);
    expect(m.buffer.byteLength).toBe(4 * 65536);
    reserveScratch(m, [10]);
    expect(m.buffer.byteLength).toBe(4 * 65536);
  });
});
