/**
 * @module infra/model/detect
 * The detect predictor: one request's images through Ultralytics' stages, in order, each timed
 * and reported per image (Ultralytics' predictor: pre_transform -> preprocess -> inference ->
 * postprocess):
 *
 *   1. decode       the encoded bytes, EXIF-oriented (a decode worker: libjpeg-turbo or sharp)
 *   2. letterbox    core/geometry's plan, executed by the same worker with the cv2-exact resize
 *   3. batch        admitted all or none to the model's micro-batcher, packed with other requests'
 *   4. infer        one engine run per batch (normalised in the engine worker)
 *   5. decode outputs, 6. NMS, 7. boxes to source pixels: core/postprocess, per image
 *   8. result       detections in source pixels, stage timings, the batch it rode in
 *
 * Options arrive parsed (core/options, once, where the request entered); nothing here checks
 * them again. A request's images are admitted together and fail together (infra/model/inference).
 * detectTensor takes already preprocessed inputs (KServe) through stages 3-8, with boxes in
 * model-input pixels (there is no letterbox to undo).
 */
import { createDecoders, getDecoder } from '../../core/decode.js';
import { type LetterboxPlan, planLetterbox, type Size } from '../../core/geometry.js';
import type { DetectOptions } from '../../core/options.js';
import { postprocessItem } from '../../core/postprocess.js';
import type { DecodedImage, Detection, Tensor } from '../../core/types.js';
import type { ItemTimings } from '../metrics.js';
import type { InferResult, RequestContext } from './inference.js';
import { letterboxOptionsOf } from './inspect.js';
import type { Model } from './load.js';

export interface DetectResult {
  readonly model: string;
  readonly version: string;
  /** Source size after EXIF orientation. */
  readonly image: Size;
  /** Sorted by score, boxes in source pixels. */
  readonly detections: Detection[];
  readonly timings: ItemTimings;
  /** Images in the engine batch this image rode in (before padding). */
  readonly batchSize: number;
}

export interface DetectPredictor {
  detectMany(images: readonly Uint8Array[], options?: DetectOptions, ctx?: RequestContext): Promise<DetectResult[]>;
  detectTensor(input: Tensor, options?: DetectOptions, ctx?: RequestContext): Promise<DetectResult[]>;
}

export function createDetectPredictor(model: Model): DetectPredictor {
  const { manifest, labels, decoder, inference, requests, description } = model;
  const letterbox = letterboxOptionsOf(manifest);
  const outputDecoder = getDecoder(createDecoders(), manifest.output.decoder);
  const planFor = (source: Size) => planLetterbox(source, letterbox);
  // Preprocessed tensors are model-input pixels already: their plan maps boxes through unchanged.
  const identity = planLetterbox(description.inputSize, { ...letterbox, scaleUp: false });

  /** Stages 5-8 for one image; its outputs go back to the engine once read. */
  function result(t0: number, plan: LetterboxPlan, r: InferResult, decodeMs: number, options: DetectOptions): DetectResult {
    const tp = performance.now();
    let detections: Detection[];
    try {
      detections = postprocessItem(r.outputs, 0, plan, { decoder: outputDecoder, labels, options, outputNames: manifest.output.names });
    } finally {
      r.release();
    }
    const timings = requests.itemTimings(t0, tp, { decode: decodeMs, preprocess: r.preprocessMs, queue: r.queueMs, infer: r.inferMs });
    return { model: manifest.name, version: manifest.version, image: plan.source, detections, timings, batchSize: r.batchSize };
  }

  return {
    detectMany: (images, options = description.defaults, ctx) =>
      requests.record(async (t0) => {
        let decoded: DecodedImage<LetterboxPlan>[] = [];
        const results = await inference.admit(images.length, ctx, async () => {
          // Stages 1-2, in the decode workers; the slots are held meanwhile.
          decoded = await Promise.all(images.map((bytes) => decoder.decode(bytes, planFor, manifest.decode)));
          return decoded.map((d) => ({ pixels: d.pixels, release: d.release }));
        });
        return results.map((r, i) => result(t0, decoded[i]!.plan, r, decoded[i]!.decodeMs, options));
      }),

    detectTensor: (input, options = description.defaults, ctx) =>
      requests.record(async (t0) => {
        const items = inference.tensorItems(input);
        const results = await inference.admit(items.length, ctx, async () => items);
        return results.map((r) => result(t0, identity, r, 0, options));
      }),
  };
}
