/**
 * @module core/postprocess
 * From a model's raw output to what a caller gets back, the last of Ultralytics' named stages.
 *
 * A detector's batch item goes decode (core/decode, with the conf and class filters) -> NMS (top
 * `maxNms` in, `maxDet` out) -> boxes back to source pixels through the same LetterboxPlan that
 * made the input -> labelled Detection[] (`postprocessItem`). Each step is its own function, as
 * Ultralytics' one long non_max_suppression is not, and the result is deterministic: scores
 * order candidates, ties go to the lower index, and there is no wall-clock limit (Ultralytics'
 * NMS may silently cut its output short).
 *
 * Also here: detections as the fixed-size EfficientNMS tensors KServe clients expect
 * (`toPaddedTensors`), and a classifier's output row as its top-k classes (`classScores`, `topK`).
 */
import type { Candidates, OutputDecoder } from './decode.js';
import { DetectError } from './errors.js';
import { type LetterboxPlan, toSourceBoxes } from './geometry.js';
import type { DetectOptions } from './options.js';
import type { Detection, Tensor, TensorMap } from './types.js';

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

/** One batch item from raw model outputs to detections in source pixels, highest score first. */
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

// NMS: greedy non-maximum suppression with torchvision.ops.nms semantics. Visit candidates by
// score (ties by index), keep a box unless a kept box of the same class (any class when
// agnostic) overlaps it with IoU > `iou`. Checking only against KEPT boxes is the same greedy
// result as "suppress every later box" (suppressed boxes never suppress), and it lets the loop
// stop as soon as `maxDet` boxes are kept. Class-aware grouping gives the same result as
// Ultralytics' class*7680 coordinate offset, without its limit on box size.

export interface NmsOptions {
  /** Suppress when IoU is strictly above this. */
  readonly iou: number;
  /** Most boxes kept. */
  readonly maxDet: number;
  /** Boxes of different classes suppress each other too. */
  readonly agnostic: boolean;
  /** Only the `maxNms` highest-scoring candidates enter NMS. */
  readonly maxNms: number;
}

/** Indices into `c` of the kept candidates, highest score first. */
export function nms(c: Candidates, opts: NmsOptions): Int32Array {
  const order = sortByScore(c.scores, c.count, opts.maxNms);
  const limit = Math.min(opts.maxDet, order.length);
  const kept = new Int32Array(limit);
  if (limit === 0) return kept;
  const { slotOf, slotCount } = classSlots(c.classIds, order, opts.agnostic);
  // Kept boxes as x1 y1 x2 y2 area, chained per class slot: head[slot] -> prev[k] -> ... -1.
  const geo = new Float64Array(limit * 5);
  const prev = new Int32Array(limit);
  const head = new Int32Array(slotCount).fill(-1);
  const boxes = c.boxes;
  const thr = opts.iou;
  let k = 0;
  for (let r = 0; r < order.length && k < limit; r++) {
    const i = order[r]!;
    const x1 = boxes[4 * i]!, y1 = boxes[4 * i + 1]!, x2 = boxes[4 * i + 2]!, y2 = boxes[4 * i + 3]!;
    const area = (x2 - x1) * (y2 - y1);
    const slot = slotOf(r);
    let suppressed = false;
    for (let j = head[slot]!; j >= 0; j = prev[j]!) {
      const g = 5 * j;
      const iw = Math.min(x2, geo[g + 2]!) - Math.max(x1, geo[g]!);
      if (iw <= 0) continue;
      const ih = Math.min(y2, geo[g + 3]!) - Math.max(y1, geo[g + 1]!);
      if (ih <= 0) continue;
      const inter = iw * ih;
      if (inter / (geo[g + 4]! + area - inter) > thr) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    const g = 5 * k;
    geo[g] = x1;
    geo[g + 1] = y1;
    geo[g + 2] = x2;
    geo[g + 3] = y2;
    geo[g + 4] = area;
    prev[k] = head[slot]!;
    head[slot] = k;
    kept[k++] = i;
  }
  return k === limit ? kept : kept.slice(0, k);
}

const INDEX_BITS = 2 ** 21;
const SIGN = 0x80000000;
const ALL = 0xffffffff;

/**
 * Candidate order for NMS: score descending, ties by index ascending (a stable sort), cut to
 * `limit`. A comparator sort of 8400 indices costs about a millisecond in V8; packing
 * (score, index) into one float64 key and using the native numeric sort of Float64Array is
 * several times faster and gives the same order.
 */
export function sortByScore(scores: Float32Array, count: number, limit: number): Int32Array {
  if (count >= INDEX_BITS) return comparatorSort(scores, count, limit);
  // Float32 bit patterns, read in place: no copy of the scores.
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, count);
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let b = bits[i]!;
    if (b === SIGN) b = 0; // -0 ties with +0, as it does in a float comparison
    // IEEE order as unsigned order: flip every bit of negatives, only the sign of positives.
    const ordered = b & SIGN ? (ALL - b) >>> 0 : (b | SIGN) >>> 0;
    // Ascending keys: higher score first, then lower index. Exact: 32 + 21 bits <= 53.
    keys[i] = (ALL - ordered) * INDEX_BITS + i;
  }
  keys.sort();
  const n = Math.min(count, limit);
  const order = new Int32Array(n);
  for (let r = 0; r < n; r++) order[r] = keys[r]! % INDEX_BITS;
  return order;
}

/** The same order for 2^21 candidates or more, where the index no longer fits beside the score. */
function comparatorSort(scores: Float32Array, count: number, limit: number): Int32Array {
  const idx = Array.from({ length: count }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return Int32Array.from(idx.slice(0, limit));
}

/** Maps each sorted candidate to a dense class slot for the per-class kept lists. */
interface ClassSlots {
  /** Slot of the candidate at sorted position r. */
  slotOf(r: number): number;
  readonly slotCount: number;
}

/** Ids below this index a typed array directly. */
const DIRECT_LIMIT = 1 << 16;

/**
 * Class ids are small non-negative integers in practice (COCO: 0..79), which index a typed array
 * directly; anything else (negative or huge ids from a custom decoder) is renumbered through a
 * Map once.
 */
function classSlots(classIds: Int32Array, order: Int32Array, agnostic: boolean): ClassSlots {
  if (agnostic) return { slotOf: () => 0, slotCount: 1 };
  let min = 0;
  let max = 0;
  for (let r = 0; r < order.length; r++) {
    const id = classIds[order[r]!]!;
    if (id < min) min = id;
    if (id > max) max = id;
  }
  if (min >= 0 && max < DIRECT_LIMIT) return { slotOf: (r) => classIds[order[r]!]!, slotCount: max + 1 };
  const dense = new Int32Array(order.length);
  const seen = new Map<number, number>();
  for (let r = 0; r < order.length; r++) {
    const id = classIds[order[r]!]!;
    let s = seen.get(id);
    if (s === undefined) seen.set(id, (s = seen.size));
    dense[r] = s;
  }
  return { slotOf: (r) => dense[r]!, slotCount: seen.size };
}

// Detections: as JSON-ready objects, and as padded tensors.

/**
 * Kept candidates -> JSON-ready detections in source-image pixels (core/geometry toSourceBoxes:
 * un-pad, un-scale, clip to the image). `kept` indexes `c`; the result is sorted by score,
 * highest first (ties keep `kept` order).
 */
export function toDetections(
  c: Candidates,
  kept: Int32Array,
  plan: LetterboxPlan,
  labels: readonly string[],
): Detection[] {
  const n = kept.length;
  const picked = new Float32Array(n * 4);
  for (let k = 0; k < n; k++) picked.set(c.boxes.subarray(4 * kept[k]!, 4 * kept[k]! + 4), 4 * k);
  const boxes = toSourceBoxes(picked, n, plan);
  const out: Detection[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const id = c.classIds[kept[k]!]!;
    out[k] = {
      box: [boxes[4 * k]!, boxes[4 * k + 1]!, boxes[4 * k + 2]!, boxes[4 * k + 3]!],
      score: c.scores[kept[k]!]!,
      classId: id,
      label: labels[id] ?? `class${id}`,
    };
  }
  // NMS output is already in order; sorting (stable) keeps that promise for any `kept`.
  return out.sort((a, b) => b.score - a.score);
}

/**
 * Detections as TensorRT EfficientNMS-style fixed-size tensors (the layout Triton/KServe
 * clients of NMS-in-graph models expect):
 * - num_dets int32 [B]: valid rows per image (at most maxDet);
 * - boxes float32 [B, maxDet, 4]: x1 y1 x2 y2 in source pixels, padding rows 0;
 * - scores float32 [B, maxDet]: padding 0;
 * - classes int32 [B, maxDet]: padding -1 (0 is a real class, so it cannot mark padding).
 * An image with more than maxDet detections keeps its first maxDet (highest scores).
 */
export interface PaddedDetections {
  readonly num_dets: Tensor;
  readonly boxes: Tensor;
  readonly scores: Tensor;
  readonly classes: Tensor;
}

/** `maxDet` is the request's, checked when its options were parsed (core/options). */
export function toPaddedTensors(perImage: readonly (readonly Detection[])[], maxDet: number): PaddedDetections {
  const b = perImage.length;
  const numDets = new Int32Array(b);
  const boxes = new Float32Array(b * maxDet * 4);
  const scores = new Float32Array(b * maxDet);
  const classes = new Int32Array(b * maxDet).fill(-1);
  for (let i = 0; i < b; i++) {
    const dets = perImage[i]!;
    const n = Math.min(dets.length, maxDet);
    numDets[i] = n;
    for (let k = 0; k < n; k++) {
      const d = dets[k]!;
      const row = i * maxDet + k;
      boxes.set(d.box, row * 4);
      scores[row] = d.score;
      classes[row] = d.classId;
    }
  }
  return {
    num_dets: { dtype: 'int32', dims: [b], data: numDets },
    boxes: { dtype: 'float32', dims: [b, maxDet, 4], data: boxes },
    scores: { dtype: 'float32', dims: [b, maxDet], data: scores },
    classes: { dtype: 'int32', dims: [b, maxDet], data: classes },
  };
}

// Classifiers: an output row -> the top-k classes. Softmax when the model answers logits (the
// manifest's `output.kind`), then the k highest scores, ties to the lower class id, so the order
// is deterministic.

export type ClassifierOutputKind = 'logits' | 'probabilities';

export interface Classification {
  readonly classId: number;
  readonly label: string;
  readonly score: number;
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

/** The `k` highest scores, descending; equal scores keep class-id order. */
export function topK(scores: ArrayLike<number>, k: number, labels: readonly string[]): Classification[] {
  const ids = Array.from({ length: scores.length }, (_, i) => i);
  ids.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return ids.slice(0, k).map((id) => ({ classId: id, label: labels[id] ?? `class${id}`, score: scores[id]! }));
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
