/**
 * @module core/wasm/scratch
 * Scratch layout in a module's memory. WASM reads and writes only its own memory, so kernels
 * copy their input into regions of it and their output out of it; each region starts 16-byte
 * aligned so the v128 loads and stores of the generated kernels stay aligned.
 */
import type { WasmMemory } from './instance.js';

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
