import { describe, expect, it } from 'vitest';
import { RESIZE_WASM } from '../resize/wasm-bytes.js';
import { instantiateSimd } from './instance.js';
import { reserveScratch, up16 } from './scratch.js';

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
