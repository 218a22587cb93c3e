/**
 * @module core/postprocess/postprocess
 * One batch item from raw model outputs to detections: decode (with the conf and class
 * filters) -> NMS (top maxNms in, maxDet out) -> source-pixel boxes -> Detection[].
 * Deterministic, and with no time limit (Ultralytics' NMS may silently cut output short).
 */
import type { OutputDecoder } from '../decode/index.js';
import type { LetterboxPlan } from '../letterbox/index.js';
import { nms, sortByScore } from '../nms/index.js';
import type { DetectOptions } from '../options/index.js';
import { toDetections } from '../output/index.js';
import type { TensorMap } from '../ports/index.js';
import type { Detection } from '../types.js';

export interface PostprocessContext {
  readonly decoder: OutputDecoder;
  /** Class names by id; a missing name becomes `class${id}`. */
  readonly labels: readonly string[];
  readonly options: DetectOptions;
  /** The manifest's class count, checked against the output shape when given. */
  readonly numClasses?: number;
  /** Which model outputs the decoder reads, when not the first. */
  readonly outputNames?: readonly string[];
}

export function postprocessItem(
  outputs: TensorMap,
  index: number,
  plan: LetterboxPlan,
  ctx: PostprocessContext,
): Detection[] {
  const o = ctx.options;
  const candidates = ctx.decoder.decode(outputs, index, {
    conf: o.conf,
    ...(o.classes !== undefined ? { classes: o.classes } : {}),
    ...(ctx.numClasses !== undefined ? { numClasses: ctx.numClasses } : {}),
    ...(ctx.outputNames !== undefined ? { outputNames: ctx.outputNames } : {}),
  });
  const kept = ctx.decoder.nmsFree
    ? sortByScore(candidates.scores, candidates.count, o.maxDet)
    : nms(candidates, o);
  return toDetections(candidates, kept, plan, ctx.labels);
}
