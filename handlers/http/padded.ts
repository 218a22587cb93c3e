/**
 * @module handlers/http/padded
 * `format=padded`: the EfficientNMS-style tensors built by core/output (num_dets [B],
 * boxes [B,maxDet,4], scores [B,maxDet], classes [B,maxDet] with -1 padding), one row per
 * image in request order, as JSON `{outputs: {name: {shape, dtype, data}}}`. Serialising only.
 */
import { toPaddedTensors } from '../../core/output/index.js';
import type { Tensor } from '../../core/ports/tensor.js';
import type { DetectResult } from '../../infra/runtime/model-service.js';

function tensorJson(t: Tensor) {
  return { shape: t.dims, dtype: t.dtype, data: Array.from(t.data as ArrayLike<number>) };
}

export function paddedJson(results: readonly DetectResult[], maxDet: number): object {
  const first = results[0]!;
  const padded = toPaddedTensors(results.map((r) => r.detections), maxDet);
  return {
    model: first.model,
    version: first.version,
    images: results.map((r) => r.image),
    outputs: Object.fromEntries(Object.entries(padded).map(([name, t]) => [name, tensorJson(t)])),
  };
}
