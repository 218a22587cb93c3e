/**
 * @module core/decode/yolov8
 * Anchor-free heads: output [B, 4+nc, N] with rows cx, cy, w, h, then one score row per class
 * and no objectness (YOLOv8, YOLOv9, YOLO11). Like Ultralytics, an anchor's score is its best
 * class score over ALL classes, and the class filter applies after that choice: an anchor whose
 * best class is filtered out is dropped, not demoted to its second-best class.
 */
import { DetectError } from '../errors/index.js';
import { allocCandidates, classMask, itemData, pickOutput } from './output-tensor.js';
import type { TensorMap } from '../ports/index.js';
import type { Candidates, DecodeOptions, OutputDecoder } from './types.js';

function decodeYolov8(outputs: TensorMap, index: number, opts: DecodeOptions): Candidates {
  const out = pickOutput('yolov8', outputs, opts);
  const rows = opts.numClasses === undefined ? null : 4 + opts.numClasses;
  const data = itemData('yolov8', '[batch, 4+classes, anchors]', out, [null, rows, null], index);
  const nc = out.tensor.dims[1]! - 4;
  const n = out.tensor.dims[2]!;
  if (nc < 1) {
    throw new DetectError('MODEL_MISMATCH', `yolov8 decoder expects ${out.name} with at least 5 rows but it has ${nc + 4}`);
  }
  // Class-major scan: each class row is contiguous, so the running max over anchors reads
  // memory sequentially ([84][8400] is 2.8 MB; anchor-major would stride 33 KB per step).
  // Starting the max at `conf` means only anchors above the threshold are ever written.
  const best = new Float32Array(n).fill(opts.conf);
  const bestClass = new Int32Array(n).fill(-1);
  for (let c = 0; c < nc; c++) {
    const row = (4 + c) * n;
    for (let a = 0; a < n; a++) {
      const v = data[row + a]!;
      if (v > best[a]!) {
        best[a] = v;
        bestClass[a] = c;
      }
    }
  }
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

export const yolov8Decoder: OutputDecoder = Object.freeze({ kind: 'yolov8', decode: decodeYolov8 });
