/**
 * @module core/decode/yolov5
 * Anchor-based heads with objectness: output [B, N, 5+nc], rows of cx, cy, w, h, obj, then
 * class scores (YOLOv5, YOLOv7). As in Ultralytics' YOLOv5 NMS, an anchor must first pass the
 * threshold on objectness alone, then its score is obj * best class score and must pass again.
 * The class filter applies after the best class is chosen (see core/decode/yolov8).
 */
import { DetectError } from '../errors/index.js';
import type { TensorMap } from '../ports/index.js';
import { allocCandidates, classMask, itemData, pickOutput } from './output-tensor.js';
import type { Candidates, DecodeOptions, OutputDecoder } from './types.js';

function decodeYolov5(outputs: TensorMap, index: number, opts: DecodeOptions): Candidates {
  const out = pickOutput('yolov5', outputs, opts);
  const cols = opts.numClasses === undefined ? null : 5 + opts.numClasses;
  const data = itemData('yolov5', '[batch, anchors, 5+classes]', out, [null, null, cols], index);
  const n = out.tensor.dims[1]!;
  const stride = out.tensor.dims[2]!;
  const nc = stride - 5;
  if (nc < 1) {
    throw new DetectError('MODEL_MISMATCH', `yolov5 decoder expects ${out.name} rows of at least 6 values but they have ${stride}`);
  }
  const mask = classMask(opts.classes, nc);
  const conf = opts.conf;
  // Anchor-major layout: one pass, remembering the winners in small scratch arrays.
  const keepAnchor = new Int32Array(n);
  const keepScore = new Float32Array(n);
  const keepClass = new Int32Array(n);
  let count = 0;
  for (let a = 0; a < n; a++) {
    const base = a * stride;
    const obj = data[base + 4]!;
    if (!(obj > conf)) continue;
    let best = -Infinity;
    let bestC = 0;
    for (let c = 0; c < nc; c++) {
      const v = data[base + 5 + c]!;
      if (v > best) {
        best = v;
        bestC = c;
      }
    }
    const score = Math.fround(obj * best);
    if (!(score > conf) || (mask !== null && mask[bestC] !== 1)) continue;
    keepAnchor[count] = a;
    keepScore[count] = score;
    keepClass[count] = bestC;
    count++;
  }
  const result = allocCandidates(count);
  for (let k = 0; k < count; k++) {
    const base = keepAnchor[k]! * stride;
    const cx = data[base]!, cy = data[base + 1]!, hw = data[base + 2]! / 2, hh = data[base + 3]! / 2;
    result.boxes[4 * k] = cx - hw;
    result.boxes[4 * k + 1] = cy - hh;
    result.boxes[4 * k + 2] = cx + hw;
    result.boxes[4 * k + 3] = cy + hh;
  }
  result.scores.set(keepScore.subarray(0, count));
  result.classIds.set(keepClass.subarray(0, count));
  return result;
}

export const yolov5Decoder: OutputDecoder = Object.freeze({ kind: 'yolov5', decode: decodeYolov5 });
