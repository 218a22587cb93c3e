import { afterEach, describe, expect, it, vi } from 'vitest';
import { DECODE_WASM } from '../decode/wasm-bytes.js';
import { NORMALIZE_WASM } from '../normalize/wasm-bytes.js';
import { RESIZE_WASM } from '../resize/wasm-bytes.js';
import { instantiateSimd } from './instance.js';

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
