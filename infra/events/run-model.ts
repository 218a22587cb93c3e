/**
 * @module infra/events/run-model
 * One object's bytes through the events model, whichever task it serves: a detector's
 * `detect` (detections) or a classifier's `classifyMany` (top-k classes). The result record
 * and the outcome differ only in the answer field, so error records, retries, idempotency and
 * metrics stay one path for both.
 */
import type { DetectOptions } from '../../core/options/index.js';
import type { ClassifyOptions, ClassifyResult, DetectResult, ModelService } from '../runtime/model-service.js';

/** The model's answer for one image: `detections` or `classes`, as the result record holds it. */
export type ModelAnswer = Pick<DetectResult, 'detections'> | Pick<ClassifyResult, 'classes'>;

export interface ModelRun {
  readonly model: string;
  readonly version: string;
  readonly image: DetectResult['image'];
  readonly timings: DetectResult['timings'];
  readonly answer: ModelAnswer;
}

export interface RunOptions {
  readonly detectOptions?: Partial<DetectOptions> | undefined;
  readonly classifyOptions?: Partial<ClassifyOptions> | undefined;
}

export async function runModel(model: ModelService, bytes: Uint8Array, o: RunOptions): Promise<ModelRun> {
  if (model.describe().task === 'classify') {
    const [r] = await model.classifyMany([bytes], o.classifyOptions ?? {});
    return { model: r!.model, version: r!.version, image: r!.image, timings: r!.timings, answer: { classes: r!.classes } };
  }
  const r = await model.detect(bytes, o.detectOptions ?? {});
  return { model: r.model, version: r.version, image: r.image, timings: r.timings, answer: { detections: r.detections } };
}

/** What the outcome and the log line say about a result: the detection count, or the top class. */
export function answerSummary(answer: ModelAnswer): { detections: number } | { topClass: string | undefined } {
  return 'detections' in answer ? { detections: answer.detections.length } : { topClass: answer.classes[0]?.label };
}
