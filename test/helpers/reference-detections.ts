/**
 * @module test/helpers/reference-detections
 * The one check that our detections match the independent reference pipeline
 * (../shared/data/reference/yolov8n-predict-samples.json: OpenCV decode + INTER_LINEAR letterbox
 * + OpenCV DNN + torchvision NMS, conf 0.25): one-to-one, same class, every box coordinate
 * within 4 px, score within 0.03. Used by the integration tests and the e2e emulation.
 */
import { readFileSync } from 'node:fs';
import { REFERENCE } from './shared-data.js';

/** The fields compared; our Detection and the reference's entries both have them. */
export interface RefDetection {
  readonly box: readonly number[];
  readonly score: number;
  readonly classId: number;
}

export interface RefImage {
  /** File name, e.g. 'bus.jpg'. */
  readonly image: string;
  readonly width: number;
  readonly height: number;
  readonly detections: readonly RefDetection[];
}

export const BOX_TOLERANCE_PX = 4;
export const SCORE_TOLERANCE = 0.03;

/** Every image of the reference samples file. */
export function referenceSamples(): RefImage[] {
  return (JSON.parse(readFileSync(REFERENCE.samples(), 'utf8')) as { images: RefImage[] }).images;
}

/** The reference entry for one image; throws where the samples file has none. */
export function referenceFor(image: string): RefImage {
  const found = referenceSamples().find((i) => i.image === image);
  if (!found) throw new Error(`no reference detections for ${image} in ${REFERENCE.samples()}`);
  return found;
}

/**
 * Greedy one-to-one matching, highest reference score first. Returns readable mismatches (a
 * reference box with no detection of its class within BOX_TOLERANCE_PX, a matched score off by
 * more than SCORE_TOLERANCE, an extra detection); an empty list means a match, which implies
 * the same classes with the same counts.
 */
export function compareDetections(ours: readonly RefDetection[], ref: readonly RefDetection[]): string[] {
  const free = [...ours];
  const problems: string[] = [];
  for (const r of [...ref].sort((a, b) => b.score - a.score)) {
    const near = (d: RefDetection): boolean => d.classId === r.classId && d.box.every((v, k) => Math.abs(v - r.box[k]!) <= BOX_TOLERANCE_PX);
    const scoreOk = (d: RefDetection): boolean => Math.abs(d.score - r.score) <= SCORE_TOLERANCE;
    // Prefer a candidate whose score also agrees, so a close neighbour cannot take its place.
    let i = free.findIndex((d) => near(d) && scoreOk(d));
    if (i < 0) i = free.findIndex(near);
    if (i < 0) {
      problems.push(`reference class ${r.classId} [${r.box.join(', ')}] score ${r.score}: no detection of that class within ${BOX_TOLERANCE_PX} px`);
      continue;
    }
    const [d] = free.splice(i, 1);
    if (!scoreOk(d!)) problems.push(`class ${r.classId} [${r.box.join(', ')}]: score ${d!.score} vs reference ${r.score}`);
  }
  for (const d of free) problems.push(`extra detection class ${d.classId} [${d.box.map((v) => v.toFixed(1)).join(', ')}] score ${d.score}`);
  return problems;
}
