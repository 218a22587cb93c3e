/**
 * @module infra/model/classify
 * The classify predictor: one request's images through a classifier's stages, in order, each
 * timed and reported per image (torchvision's `Resize(N)` + `CenterCrop(size)` then softmax):
 *
 *   1. decode       the encoded bytes, EXIF-oriented (a decode worker: libjpeg-turbo or sharp)
 *   2. crop         core/geometry's crop plan: the shorter side resized (cv2-exact), centre-cropped
 *   3. batch        admitted all or none to the model's micro-batcher, packed with other requests'
 *   4. infer        one engine run per batch (normalised in the engine worker)
 *   5. top-k        the image's output row, softmaxed when the model answers logits, k best
 *   6. result       classes best first, the source size, stage timings
 *
 * The same decoder, batcher and engine as detect (infra/model/detect); only the plan and the
 * postprocess differ. Options arrive parsed (core/options); classifyTensor takes preprocessed
 * inputs (KServe) through stages 3-6.
 */
import { type CropPlan, planCrop, type Size } from '../../core/geometry.js';
import type { ClassifyOptions } from '../../core/options.js';
import { type Classification, classScores, topK } from '../../core/postprocess.js';
import type { DecodedImage, Tensor } from '../../core/types.js';
import type { ItemTimings } from '../metrics.js';
import type { InferResult, RequestContext } from './inference.js';
import { cropOptionsOf } from './inspect.js';
import type { Model } from './load.js';
import { DEFAULT_CLASSIFY_OPTIONS } from '../../core/options.js';

export interface ClassifyResult {
  readonly model: string;
  readonly version: string;
  /** Source size after EXIF orientation (the tensor's size for preprocessed input). */
  readonly image: Size;
  /** The top-k classes, best first; scores are probabilities (softmax of logits where the model answers logits). */
  readonly classes: Classification[];
  readonly timings: ItemTimings;
  /** Images in the engine batch this image rode in (before padding). */
  readonly batchSize: number;
}

export interface ClassifyPredictor {
  classifyMany(images: readonly Uint8Array[], options?: ClassifyOptions, ctx?: RequestContext): Promise<ClassifyResult[]>;
  classifyTensor(input: Tensor, options?: ClassifyOptions, ctx?: RequestContext): Promise<ClassifyResult[]>;
}

export function createClassifyPredictor(model: Model): ClassifyPredictor {
  const { manifest, labels, decoder, inference, requests, description } = model;
  const crop = cropOptionsOf(manifest);
  const planFor = (source: Size) => planCrop(source, crop);

  /** Stages 5-6 for one image; its outputs go back to the engine once read. */
  function result(t0: number, image: Size, r: InferResult, decodeMs: number, k: number): ClassifyResult {
    const tp = performance.now();
    let classes: Classification[];
    try {
      classes = topK(classScores(r.outputs, description.outputName, 0, manifest.output.kind), k, labels);
    } finally {
      r.release();
    }
    const timings = requests.itemTimings(t0, tp, { decode: decodeMs, preprocess: r.preprocessMs, queue: r.queueMs, infer: r.inferMs });
    return { model: manifest.name, version: manifest.version, image, classes, timings, batchSize: r.batchSize };
  }

  return {
    classifyMany: (images, options = DEFAULT_CLASSIFY_OPTIONS, ctx) =>
      requests.record(async (t0) => {
        let decoded: DecodedImage<CropPlan>[] = [];
        const results = await inference.admit(images.length, ctx, async () => {
          // Stages 1-2, in the decode workers; the slots are held meanwhile.
          decoded = await Promise.all(images.map((bytes) => decoder.decode(bytes, planFor, manifest.decode)));
          return decoded.map((d) => ({ pixels: d.pixels, release: d.release }));
        });
        return results.map((r, i) => result(t0, decoded[i]!.source, r, decoded[i]!.decodeMs, options.topK));
      }),

    classifyTensor: (input, options = DEFAULT_CLASSIFY_OPTIONS, ctx) =>
      requests.record(async (t0) => {
        const items = inference.tensorItems(input);
        const results = await inference.admit(items.length, ctx, async () => items);
        return results.map((r) => result(t0, description.inputSize, r, 0, options.topK));
      }),
  };
}
