/**
 * @module core/output/padded
 * Detections as TensorRT EfficientNMS-style fixed-size tensors (the layout Triton/KServe
 * clients of NMS-in-graph models expect):
 * - num_dets int32 [B]: valid rows per image (at most maxDet);
 * - boxes float32 [B, maxDet, 4]: x1 y1 x2 y2 in source pixels, padding rows 0;
 * - scores float32 [B, maxDet]: padding 0;
 * - classes int32 [B, maxDet]: padding -1 (0 is a real class, so it cannot mark padding).
 * An image with more than maxDet detections keeps its first maxDet (highest scores).
 */
import type { Tensor } from '../ports/index.js';
import type { Detection } from '../types.js';
import { expectInteger } from '../validate/index.js';

export interface PaddedDetections {
  readonly num_dets: Tensor;
  readonly boxes: Tensor;
  readonly scores: Tensor;
  readonly classes: Tensor;
}

export function toPaddedTensors(perImage: readonly (readonly Detection[])[], maxDet: number): PaddedDetections {
  expectInteger('maxDet', maxDet, 1);
  const b = perImage.length;
  const numDets = new Int32Array(b);
  const boxes = new Float32Array(b * maxDet * 4);
  const scores = new Float32Array(b * maxDet);
  const classes = new Int32Array(b * maxDet).fill(-1);
  for (let i = 0; i < b; i++) {
    const dets = perImage[i]!;
    const n = Math.min(dets.length, maxDet);
    numDets[i] = n;
    for (let k = 0; k < n; k++) {
      const d = dets[k]!;
      const row = i * maxDet + k;
      boxes.set(d.box, row * 4);
      scores[row] = d.score;
      classes[row] = d.classId;
    }
  }
  return {
    num_dets: { dtype: 'int32', dims: [b], data: numDets },
    boxes: { dtype: 'float32', dims: [b, maxDet, 4], data: boxes },
    scores: { dtype: 'float32', dims: [b, maxDet], data: scores },
    classes: { dtype: 'int32', dims: [b, maxDet], data: classes },
  };
}
