/**
 * @module handlers/http/kserve/outputs
 * The response tensors: detections padded to max_det by core/output (class padding -1),
 * under the EfficientNMS output names TensorRT-style clients expect (num_dets INT32 [B], det_boxes FP32 [B,maxDet,4],
 * det_scores FP32 [B,maxDet], det_classes INT32 [B,maxDet]). A request may ask for a subset,
 * and for each output whether it comes back as binary data.
 */
import { DetectError } from '../../../core/errors/index.js';
import { toPaddedTensors } from '../../../core/output/index.js';
import type { KsMetadataTensor } from './wire-types.js';
import { BINARY_DATA, type EncodableOutput, type KsRequestOutput } from './wire-types.js';
import type { DetectResult } from '../../../infra/runtime/model-service.js';

export const OUTPUT_NAMES = ['num_dets', 'det_boxes', 'det_scores', 'det_classes'] as const;

export function outputMetadata(maxDet: number): KsMetadataTensor[] {
  return [
    { name: 'num_dets', datatype: 'INT32', shape: [-1] },
    { name: 'det_boxes', datatype: 'FP32', shape: [-1, maxDet, 4] },
    { name: 'det_scores', datatype: 'FP32', shape: [-1, maxDet] },
    { name: 'det_classes', datatype: 'INT32', shape: [-1, maxDet] },
  ];
}

export function buildOutputs(
  results: readonly DetectResult[],
  maxDet: number,
  requested: readonly KsRequestOutput[] | undefined,
  binaryDefault: boolean,
): EncodableOutput[] {
  const padded = toPaddedTensors(results.map((r) => r.detections), maxDet);
  const b = results.length;
  const tensors: Record<string, Omit<EncodableOutput, 'binary' | 'name'>> = {
    num_dets: { datatype: 'INT32', shape: [b], values: padded.num_dets.data as Int32Array },
    det_boxes: { datatype: 'FP32', shape: [b, maxDet, 4], values: padded.boxes.data as Float32Array },
    det_scores: { datatype: 'FP32', shape: [b, maxDet], values: padded.scores.data as Float32Array },
    det_classes: { datatype: 'INT32', shape: [b, maxDet], values: padded.classes.data as Int32Array },
  };
  const wanted = requested && requested.length > 0 ? requested : OUTPUT_NAMES.map((name) => ({ name }) as KsRequestOutput);
  return wanted.map((o) => {
    const t = tensors[o.name];
    if (t === undefined) {
      throw new DetectError('INVALID_ARGUMENT', `unknown output '${o.name}'; this model has ${OUTPUT_NAMES.join(', ')}`);
    }
    const flag = o.parameters?.[BINARY_DATA];
    return { name: o.name, ...t, binary: typeof flag === 'boolean' ? flag : binaryDefault };
  });
}
