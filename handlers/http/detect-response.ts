/**
 * @module handlers/http/detect-response
 * JSON bodies and the Server-Timing header of a detect answer. One image gives
 * `{model, version, image, detections, timings}`; the list form (JSON `images`, several
 * multipart parts) gives `{model, version, results: [{image, detections, timings}, ...]}` in
 * request order; a classifier's answer (classifyJson) has `classes` where detect has
 * `detections`. Server-Timing carries the single image's stages, or for a list the largest
 * value of each stage (the images run concurrently, so sums would overstate).
 */
import type { ClassifyResult, DetectResult } from '../../infra/runtime/model-service.js';

export const TIMING_STAGES = ['decode', 'preprocess', 'queue', 'infer', 'postprocess', 'total'] as const;
export type Timings = DetectResult['timings'];

const round2 = (ms: number): number => Math.round(ms * 100) / 100;

export function roundTimings(t: Timings): Timings {
  return Object.fromEntries(TIMING_STAGES.map((s) => [s, round2(t[s])])) as unknown as Timings;
}

export function maxTimings(results: readonly { timings: Timings }[]): Timings {
  return Object.fromEntries(TIMING_STAGES.map((s) => [s, Math.max(...results.map((r) => r.timings[s]))])) as unknown as Timings;
}

/** `decode;dur=3.1, preprocess;dur=1.2, ...` */
export function serverTiming(t: Timings): string {
  return TIMING_STAGES.map((s) => `${s};dur=${round2(t[s])}`).join(', ');
}

function item(r: DetectResult) {
  return { image: r.image, detections: r.detections, timings: roundTimings(r.timings) };
}

export function detectJson(results: readonly DetectResult[], list: boolean): object {
  const first = results[0]!;
  if (!list) return { model: first.model, version: first.version, ...item(first) };
  return { model: first.model, version: first.version, results: results.map(item) };
}

/** A classify answer, in the same single/list shapes as detect's, with `classes` for `detections`. */
export function classifyJson(results: readonly ClassifyResult[], list: boolean): object {
  const first = results[0]!;
  const one = (r: ClassifyResult) => ({ image: r.image, classes: r.classes, timings: roundTimings(r.timings) });
  if (!list) return { model: first.model, version: first.version, ...one(first) };
  return { model: first.model, version: first.version, results: results.map(one) };
}
