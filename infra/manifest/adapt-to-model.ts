/**
 * @module infra/manifest/adapt-to-model
 * A model served by its path alone (`detectfn serve --model x.onnx`) gets the YOLOv8 default
 * manifest, then takes what the file itself states: input name, size and fixed batch, output
 * name, and the end-to-end flag Ultralytics writes. Only facts the model declares are taken;
 * anything else stays default, and crossCheckManifest still runs on the result, so a model
 * that is not a YOLO-style detector fails start-up with the usual mismatch message.
 * Manifests written by hand are never adapted: there, a disagreement is the user's error.
 */
import { parseUltralyticsMetadata, type ModelInfo } from '../onnx/index.js';
import { parseManifest } from './parse-manifest.js';
import { withoutOtherTaskFields } from './task-fields.js';
import type { ModelManifest } from './types.js';

export function adaptManifestToModel(manifest: ModelManifest, info: ModelInfo): ModelManifest {
  const input = info.inputs[0];
  const meta = parseUltralyticsMetadata(info.metadata);
  if (!input || input.shape.length !== 4) return manifest;
  const [batch, channels, height, width] = input.shape;
  const size = typeof height === 'number' && typeof width === 'number' ? [height, width] : meta.imgsz;
  const adapted = {
    ...manifest,
    input: {
      ...manifest.input,
      name: input.name,
      shape: [typeof batch === 'number' ? batch : 'batch', channels, size?.[0] ?? manifest.input.shape[2], size?.[1] ?? manifest.input.shape[3]],
    },
    output: {
      names: info.outputs.length === 1 ? [info.outputs[0]!.name] : manifest.output.names,
      decoder: meta.end2end === true ? 'end2end' : manifest.output.decoder,
    },
    batching: { ...manifest.batching, batchSizes: typeof batch === 'number' ? [batch] : manifest.batching.batchSizes },
    preprocess: {
      ...manifest.preprocess,
      letterbox: { ...manifest.preprocess.letterbox, ...(meta.stride ? { stride: Math.max(meta.stride, manifest.preprocess.letterbox.stride) } : {}) },
    },
  };
  return parseManifest(withoutOtherTaskFields(adapted), `${manifest.source.uri} (default manifest adapted to the model)`);
}
