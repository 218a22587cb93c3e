/**
 * @module core/decode/yolov8
 * Anchor-free heads: output [B, 4+nc, N] with rows cx, cy, w, h, then one score row per class
 * and no objectness (YOLOv8, YOLOv9, YOLO11). Like Ultralytics, an anchor's score is its best
 * class score over ALL classes, and the class filter applies after that choice: an anchor whose
 * best class is filtered out is dropped, not demoted to its second-best class.
 */
import { DetectError } from '../errors/index.js';
import { pickWasmKernel } from '../wasm/index.js';
import { jsClassScan, type ClassScan, type ClassScanRoute } from './class-scan.js';
import { createWasmClassScan } from './class-scan-wasm.js';
import { allocCandidates, classMask, itemData, pickOutput } from './output-tensor.js';
import type { TensorMap } from '../ports/index.js';
import type { Candidates, DecodeOptions, OutputDecoder } from './types.js';

export interface Yolov8Decoder extends OutputDecoder {
  /** The best-class scan in use; both routes give identical candidates. */
  readonly route: ClassScanRoute;
}

export interface Yolov8DecoderOptions {
  /** 'auto' picks wasm-simd where WebAssembly SIMD validates, else js. @default 'auto' */
  readonly route?: 'auto' | ClassScanRoute;
}

/**
 * A yolov8 decoder with its own scan. The wasm-simd route holds scratch memory (never shared):
 * build one per thread, as createDecoders() does, and keep it.
 */
export function createYolov8Decoder(options: Yolov8DecoderOptions = {}): Yolov8Decoder {
  const wasm = pickWasmKernel(options.route, createWasmClassScan);
  const scan = wasm ?? jsClassScan;
  return Object.freeze({ kind: 'yolov8', route: scan.route, decode: (outputs: TensorMap, index: number, opts: DecodeOptions) => decodeYolov8(scan, outputs, index, opts) });
}

function decodeYolov8(scan: ClassScan, outputs: TensorMap, index: number, opts: DecodeOptions): Candidates {
  const out = pickOutput('yolov8', outputs, opts);
  const rows = opts.numClasses === undefined ? null : 4 + opts.numClasses;
  const data = itemData('yolov8', '[batch, 4+classes, anchors]', out, [null, rows, null], index);
  const nc = out.tensor.dims[1]! - 4;
  const n = out.tensor.dims[2]!;
  if (nc < 1) {
    throw new DetectError('MODEL_MISMATCH', `yolov8 decoder expects ${out.name} with at least 5 rows but it has ${nc + 4}`);
  }
  const { best, bestClass } = scan.scan(data, 4 * n, nc, n, opts.conf);
  const mask = classMask(opts.classes, nc);
  let count = 0;
  for (let a = 0; a < n; a++) {
    const c = bestClass[a]!;
    if (c >= 0 && (mask === null || mask[c] === 1)) count++;
    else bestClass[a] = -1;
  }
  const result = allocCandidates(count);
  const { boxes, scores, classIds } = result;
  let k = 0;
  for (let a = 0; a < n && k < count; a++) {
    const c = bestClass[a]!;
    if (c < 0) continue;
    const cx = data[a]!, cy = data[n + a]!, hw = data[2 * n + a]! / 2, hh = data[3 * n + a]! / 2;
    boxes[4 * k] = cx - hw;
    boxes[4 * k + 1] = cy - hh;
    boxes[4 * k + 2] = cx + hw;
    boxes[4 * k + 3] = cy + hh;
    scores[k] = best[a]!;
    classIds[k] = c;
    k++;
  }
  return result;
}

/** The stateless JS-route decoder; createDecoders() gives the faster wasm-simd one. */
export const yolov8Decoder: Yolov8Decoder = createYolov8Decoder({ route: 'js' });
