/**
 * @module infra/manifest/cross-check
 * Refuses to serve a model whose file disagrees with its manifest, at start-up rather than as
 * wrong boxes later. Every disagreement found is reported in one MODEL_MISMATCH error, each
 * naming what the manifest says and what the model has.
 */
import { DetectError } from '../../core/errors/index.js';
import { parseUltralyticsMetadata, type ModelInfo } from '../onnx/index.js';
import { checkInput, checkOutputs } from './check-tensors.js';
import { checkMetadata } from './check-metadata.js';
import type { CrossCheckResult, ModelManifest } from './types.js';

export function crossCheckManifest(manifest: ModelManifest, info: ModelInfo): CrossCheckResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  checkInput(manifest, info.inputs, problems);
  const labels = checkMetadata(manifest, parseUltralyticsMetadata(info.metadata), problems, warnings);
  checkOutputs(manifest, info.outputs, labels.length > 0 ? labels.length : undefined, problems);
  if (problems.length > 0) {
    throw new DetectError('MODEL_MISMATCH', `model ${manifest.name} (${manifest.source.uri}): ${problems.join('; ')}`, {
      details: { model: manifest.name, problems },
    });
  }
  return { labels, warnings };
}
