/**
 * @module handlers/http/kserve/metadata
 * Server and model metadata objects ($metadata_server_response, $metadata_model_response).
 * A model lists two ways in: `image` (BYTES, one encoded image per element) and its own input
 * tensor (preprocessed [N,3,H,W]); a request sends exactly one of them. A model that normalises
 * in its graph (`engine.preprocessInGraph`) lists `image` only: no float tensor reaches it.
 */
import type { ModelDescription } from '../../../infra/runtime/model-service.js';
import { kserveDatatype } from './datatypes.js';
import { outputMetadata } from './outputs.js';
import type { KsMetadataTensor } from './wire-types.js';

/** Triton's names for the extensions served (binary tensors, GET .../config, GET .../stats), as clients look for them. */
export const EXTENSIONS = ['binary_tensor_data', 'model_configuration', 'statistics'] as const;

/** The ONNX Runtime platform string Triton reports. */
export const PLATFORM = 'onnxruntime_onnx';

export const IMAGE_INPUT = 'image';

export function serverMetadata(version: string) {
  return { name: 'detectfn', version, extensions: [...EXTENSIONS] };
}

export function modelMetadata(d: ModelDescription) {
  const inputs: KsMetadataTensor[] = [
    { name: IMAGE_INPUT, datatype: 'BYTES', shape: [-1] },
    ...(d.tensorInput ? [{ name: d.inputName, datatype: kserveDatatype(d.inputDtype), shape: [-1, 3, d.inputSize.height, d.inputSize.width] }] : []),
  ];
  return {
    name: d.name,
    versions: [d.version],
    platform: PLATFORM,
    inputs,
    ...(d.task === 'classify'
      // Class probabilities; Triton's classification extension turns them into top-N strings.
      ? { outputs: [{ name: d.outputName, datatype: 'FP32', shape: [-1, d.labels.length] }], parameters: { labels: d.labels.join(','), task: d.task } }
      : { outputs: outputMetadata(d.defaults.maxDet), parameters: { labels: d.labels.join(','), conf: d.defaults.conf, iou: d.defaults.iou, max_det: d.defaults.maxDet } }),
  };
}
