/**
 * @module core/decode/class-scan-wasm
 * Drives the WebAssembly SIMD scan (scripts/build-decode-wasm.mjs). WASM reads only its own
 * memory and onnxruntime-node cannot write into it, so the class rows are copied in, a tile of
 * rows at a time: a whole [80, 8400] item costs 2.7 MB of memory, a tile 256 KiB that stays in
 * cache between the copy and the scan (measured here: copy + scan of the whole item 0.19 ms,
 * in tiles of 7-8 rows 0.15 ms, the scan alone 0.07 ms, the JS route 0.63 ms).
 */
import { float32Below, scanLanes, type ClassScan } from './class-scan.js';
import { DECODE_WASM } from './wasm-bytes.js';
import { instantiateSimd, reserveScratch } from '../wasm/index.js';

type ScanRows = (tile: number, rows: number, n: number, n16: number, c0: number, thr: number, best: number, cls: number) => void;

/** Scores per tile: 256 KiB, within L2 with room for best and cls. */
const TILE = 65536;

/** undefined where WebAssembly or its SIMD proposal is unavailable. Holds scratch memory: one per thread. */
export function createWasmClassScan(): ClassScan | undefined {
  const instance = instantiateSimd(DECODE_WASM);
  if (!instance) return undefined;
  const { exports, memory } = instance;
  const scanRows = exports.scan_rows as ScanRows;

  return Object.freeze({
    route: 'wasm-simd',
    scan(data: Float32Array, first: number, nc: number, n: number, conf: number) {
      const thr = float32Below(conf);
      const rows = Math.max(1, Math.min(nc, Math.floor(TILE / n)));
      // best (n f32, at 0) | cls (n i32) | tile (rows x n f32).
      const [, CLS, TILE_AT] = reserveScratch(memory, [n * 4, n * 4, rows * n * 4]);
      const heap = new Float32Array(memory.buffer);
      const best = heap.subarray(0, n).fill(thr);
      const bestClass = new Int32Array(memory.buffer, CLS, n).fill(-1);
      const n16 = n & ~15;
      for (let c = 0; c < nc; c += rows) {
        const r = Math.min(rows, nc - c), from = first + c * n;
        heap.set(data.subarray(from, from + r * n), TILE_AT >> 2);
        scanRows(TILE_AT, r, n, n16, c, thr, 0, CLS);
      }
      // The last n % 16 anchors, which the kernel's 16-lane turns do not reach.
      scanLanes(data, first, nc, n, n16, n, best, bestClass);
      return { best, bestClass };
    },
  });
}
