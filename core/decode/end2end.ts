/**
 * @module core/decode/end2end
 * NMS-free heads: output [B, K, 6] rows of x1, y1, x2, y2, score, class in model-input pixels
 * (YOLOv10, YOLO26). The model already ran its own selection; this only applies the request's
 * conf and class filters, and `nmsFree` tells core/postprocess to skip NMS (Ultralytics keeps
 * such output as is; NMS at IoU 0.7 would drop overlapping boxes the model meant to keep).
 */
import type { TensorMap } from '../ports/index.js';
import { allocCandidates, itemData, pickOutput } from './output-tensor.js';
import type { Candidates, DecodeOptions, OutputDecoder } from './types.js';

function decodeEnd2end(outputs: TensorMap, index: number, opts: DecodeOptions): Candidates {
  const out = pickOutput('end2end', outputs, opts);
  const data = itemData('end2end', '[batch, detections, 6]', out, [null, null, 6], index);
  const k = out.tensor.dims[1]!;
  const allowed = opts.classes === undefined ? null : new Set(opts.classes);
  const rows = new Int32Array(k);
  let count = 0;
  for (let r = 0; r < k; r++) {
    const score = data[r * 6 + 4]!;
    // Class ids travel as floats in this layout; round rather than truncate 2.9999.
    if (score > opts.conf && (allowed === null || allowed.has(Math.round(data[r * 6 + 5]!)))) rows[count++] = r;
  }
  const result = allocCandidates(count);
  for (let i = 0; i < count; i++) {
    const base = rows[i]! * 6;
    result.boxes.set(data.subarray(base, base + 4), 4 * i);
    result.scores[i] = data[base + 4]!;
    result.classIds[i] = Math.round(data[base + 5]!);
  }
  return result;
}

export const end2endDecoder: OutputDecoder = Object.freeze({ kind: 'end2end', nmsFree: true, decode: decodeEnd2end });
