/**
 * @module core/classify/classify
 * A classifier's output row -> the top-k classes: softmax when the model answers logits (the
 * manifest's `output.kind`), then the k highest scores, ties to the lower class id, so the
 * order is deterministic. `parseTopK` validates the one request option.
 */
import { DetectError } from '../errors/index.js';
import type { TensorMap } from '../ports/index.js';
import { expectInteger } from '../validate/index.js';

export type ClassifierOutputKind = 'logits' | 'probabilities';

export interface Classification {
  readonly classId: number;
  readonly label: string;
  readonly score: number;
}

/** @default 5, as torchvision's and Triton's examples print. */
export const DEFAULT_TOP_K = 5;
export const MAX_TOP_K = 1000;

/** Accepts numeric strings (query strings carry text); `undefined` gives DEFAULT_TOP_K. */
export function parseTopK(v: unknown): number {
  if (v === undefined) return DEFAULT_TOP_K;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return expectInteger('top_k', Number.isNaN(n) ? v : n, 1, MAX_TOP_K);
}

/** Numerically stable softmax (the max is subtracted first, so large logits do not overflow). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  const out = new Float64Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** The `k` highest scores, descending; equal scores keep class-id order. */
export function topK(scores: ArrayLike<number>, k: number, labels: readonly string[]): Classification[] {
  const ids = Array.from({ length: scores.length }, (_, i) => i);
  ids.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return ids.slice(0, k).map((id) => ({ classId: id, label: labels[id] ?? `class${id}`, score: scores[id]! }));
}

/** Item `index`'s row of a [N, classes] (or [N, classes, 1, 1]) output as class scores. */
export function classScores(outputs: TensorMap, outputName: string, index: number, kind: ClassifierOutputKind): Float64Array {
  const t = outputs[outputName];
  if (!t || t.dtype !== 'float32') {
    throw new DetectError('ENGINE_ERROR', `classifier output ${outputName} is missing or not float32 (got ${t ? t.dtype : 'nothing'})`);
  }
  const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const row = (t.data as Float32Array).subarray(index * per, (index + 1) * per);
  return kind === 'logits' ? softmax(row) : Float64Array.from(row);
}
