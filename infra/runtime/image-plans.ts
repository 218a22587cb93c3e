/**
 * @module infra/runtime/image-plans
 * A manifest's geometry options, for serving and for the inspector alike: a detector's letterbox,
 * a classifier's resize + centre crop. One place, so the inspector shows what serving does.
 */
import { planCrop, type CropOptions, type CropPlan } from '../../core/crop/index.js';
import { planLetterbox, type LetterboxOptions, type LetterboxPlan } from '../../core/letterbox/index.js';
import type { Size } from '../../core/types.js';
import type { ModelManifest } from '../manifest/index.js';

export function inputSizeOf(manifest: ModelManifest): Size {
  const [, , height, width] = manifest.input.shape as readonly number[];
  return { width: width!, height: height! };
}

export function letterboxOptionsOf(manifest: ModelManifest): Partial<LetterboxOptions> & { size: Size } {
  return { ...manifest.preprocess.letterbox, size: inputSizeOf(manifest) };
}

export function cropOptionsOf(manifest: ModelManifest): CropOptions {
  return {
    size: inputSizeOf(manifest),
    resize: manifest.preprocess.resize.mode,
    ...(manifest.preprocess.resize.size !== undefined ? { resizeTo: manifest.preprocess.resize.size } : {}),
    padValue: manifest.preprocess.crop.padValue,
  };
}

/** The plan serving makes for this manifest's task. */
export function imagePlanFor(manifest: ModelManifest): (source: Size) => LetterboxPlan | CropPlan {
  if (manifest.task === 'classify') {
    const crop = cropOptionsOf(manifest);
    return (source) => planCrop(source, crop);
  }
  const letterbox = letterboxOptionsOf(manifest);
  return (source) => planLetterbox(source, letterbox);
}
