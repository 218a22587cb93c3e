/**
 * @module core/postprocess.test
 * From outputs to answers: a whole item through decode and NMS, NMS against a brute-force
 * torchvision-style reference (property tests), the packed-key score sort, boxes back to source
 * pixels, EfficientNMS-style padded tensors, and a classifier's top-k.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Candidates, end2endDecoder, yolov8Decoder } from './decode.js';
import { DetectError } from './errors.js';
import { planLetterbox } from './geometry.js';
import { DEFAULT_DETECT_OPTIONS, parseDetectParams } from './options.js';
import { classScores, nms, type NmsOptions, postprocessItem, softmax, sortByScore, toDetections, toPaddedTensors, topK } from './postprocess.js';
import type { Detection, Tensor } from './types.js';

/** [1, 4+nc, N] yolov8 output from anchors [cx, cy, w, h, ...scores]. */
function yolov8(anchors: number[][]): Tensor {
  const n = anchors.length, rows = anchors[0]!.length;
  const data = new Float32Array(rows * n);
  anchors.forEach((a, j) => a.forEach((v, r) => (data[r * n + j] = v)));
  return { dtype: 'float32', dims: [1, rows, n], data };
}

const plan = planLetterbox({ width: 640, height: 640 }); // identity: scale 1, no padding
const anchors = [
  [100, 100, 50, 50, 0.9, 0.0], // person
  [102, 101, 50, 50, 0.8, 0.0], // same person again: suppressed
  [104, 100, 50, 50, 0.0, 0.7], // same place, other class: kept unless agnostic
  [400, 400, 20, 20, 0.6, 0.0],
  [500, 500, 20, 20, 0.2, 0.0], // below conf
];
const outputs = { output0: yolov8(anchors) };
const labels = ['person', 'car'];

describe('postprocessItem', () => {
  it('decodes, suppresses, and returns labelled source-pixel detections by score', () => {
    const dets = postprocessItem(outputs, 0, plan, { decoder: yolov8Decoder, labels, options: DEFAULT_DETECT_OPTIONS });
    expect(dets.map((d) => [d.label, d.box])).toEqual([
      ['person', [75, 75, 125, 125]],
      ['car', [79, 75, 129, 125]],
      ['person', [390, 390, 410, 410]],
    ]);
    expect(dets.map((d) => d.score)).toEqual([0.9, 0.7, 0.6].map(Math.fround));
  });

  it('honours agnostic, classes, conf and maxDet', () => {
    const run = (raw: Record<string, unknown>) =>
      postprocessItem(outputs, 0, plan, { decoder: yolov8Decoder, labels, options: parseDetectParams(raw, DEFAULT_DETECT_OPTIONS).options }).map((d) => d.score);
    expect(run({ agnostic: 'true' })).toEqual([0.9, 0.6].map(Math.fround));
    expect(run({ classes: '1' })).toEqual([Math.fround(0.7)]);
    expect(run({ conf: 0.1 })).toHaveLength(4);
    expect(run({ maxDet: 1 })).toEqual([Math.fround(0.9)]);
  });

  it('checks the manifest class count against the output', () => {
    const ctx = { decoder: yolov8Decoder, labels, options: DEFAULT_DETECT_OPTIONS, numClasses: 80 };
    expect(() => postprocessItem(outputs, 0, plan, ctx)).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }));
  });

  it('skips NMS for end-to-end models and keeps the maxDet best', () => {
    const rows = [
      [0, 0, 10, 10, 0.5, 0],
      [0, 0, 10, 10, 0.9, 0], // identical box, same class: NMS would drop one
      [0, 0, 10, 10, 0.7, 0],
    ];
    const e2e = { output0: { dtype: 'float32', dims: [1, 3, 6], data: Float32Array.from(rows.flat()) } as Tensor };
    const options = { ...DEFAULT_DETECT_OPTIONS, maxDet: 2 };
    const dets = postprocessItem(e2e, 0, plan, { decoder: end2endDecoder, labels, options });
    expect(dets.map((d) => d.score)).toEqual([0.9, 0.7].map(Math.fround));
  });
});

function candidates(rows: readonly { box: number[]; score: number; cls: number }[]): Candidates {
  return {
    count: rows.length,
    boxes: Float32Array.from(rows.flatMap((r) => r.box)),
    scores: Float32Array.from(rows.map((r) => r.score)),
    classIds: Int32Array.from(rows.map((r) => r.cls)),
  };
}

function iouOf(c: Candidates, i: number, j: number): number {
  const [a, b] = [c.boxes.subarray(4 * i, 4 * i + 4), c.boxes.subarray(4 * j, 4 * j + 4)];
  const inter = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!)) * Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const area = (r: Float32Array) => (r[2]! - r[0]!) * (r[3]! - r[1]!);
  return inter / (area(a) + area(b) - inter);
}

/** The obvious torchvision-style greedy NMS: sort, then each kept box suppresses later ones. */
function greedyReference(c: Candidates, o: NmsOptions): number[] {
  const order = [...Array(c.count).keys()].sort((a, b) => c.scores[b]! - c.scores[a]! || a - b).slice(0, o.maxNms);
  const suppressed = new Set<number>();
  const keep: number[] = [];
  for (let p = 0; p < order.length; p++) {
    const i = order[p]!;
    if (suppressed.has(i)) continue;
    keep.push(i);
    for (let q = p + 1; q < order.length; q++) {
      const j = order[q]!;
      if ((o.agnostic || c.classIds[i] === c.classIds[j]) && iouOf(c, i, j) > o.iou) suppressed.add(j);
    }
  }
  return keep.slice(0, o.maxDet);
}

// Small integer grids make overlaps, exact ties, touching and zero-area boxes common.
const gridRow = fc.record({
  box: fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 })).map(([x, y, w, h]) => [x, y, x + w, y + h]),
  score: fc.integer({ min: 0, max: 8 }).map((s) => s / 8),
  cls: fc.integer({ min: 0, max: 3 }),
});
const floatRow = fc.record({
  box: fc.tuple(fc.float({ min: 0, max: 600, noNaN: true }), fc.float({ min: 0, max: 600, noNaN: true }), fc.float({ min: 1, max: 300, noNaN: true }), fc.float({ min: 1, max: 300, noNaN: true })).map(([x, y, w, h]) => [x, y, x + w, y + h]),
  score: fc.float({ min: 0, max: 1, noNaN: true }),
  cls: fc.integer({ min: 0, max: 79 }),
});
const options = fc.record({
  iou: fc.oneof(fc.constantFrom(0, 0.25, 0.5, 0.7, 1), fc.double({ min: 0, max: 1, noNaN: true })),
  maxDet: fc.integer({ min: 1, max: 60 }),
  agnostic: fc.boolean(),
  maxNms: fc.integer({ min: 1, max: 100 }),
});
const cases = fc.tuple(fc.oneof(fc.array(gridRow, { maxLength: 80 }), fc.array(floatRow, { maxLength: 80 })).map(candidates), options);

describe('nms', () => {
  it('equals the brute-force greedy reference (class-aware and agnostic)', () => {
    fc.assert(
      fc.property(cases, ([c, o]) => {
        expect(Array.from(nms(c, o))).toEqual(greedyReference(c, o));
      }),
      { numRuns: 1500 },
    );
  });

  it('keeps boxes that overlap at most the threshold, in non-increasing score order, at most maxDet', () => {
    fc.assert(
      fc.property(cases, ([c, o]) => {
        const kept = Array.from(nms(c, o));
        expect(kept.length).toBeLessThanOrEqual(Math.min(o.maxDet, c.count));
        expect(new Set(kept).size).toBe(kept.length);
        for (let a = 0; a < kept.length; a++) {
          if (a > 0) expect(c.scores[kept[a]!]!).toBeLessThanOrEqual(c.scores[kept[a - 1]!]!);
          for (let b = a + 1; b < kept.length; b++) {
            const [i, j] = [kept[a]!, kept[b]!];
            if (o.agnostic || c.classIds[i] === c.classIds[j]) expect(iouOf(c, i, j) > o.iou).toBe(false);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('suppresses only within a class unless agnostic', () => {
    const c = candidates([
      { box: [0, 0, 10, 10], score: 0.9, cls: 0 },
      { box: [1, 1, 10, 10], score: 0.8, cls: 1 },
      { box: [0, 0, 10, 9], score: 0.7, cls: 0 },
    ]);
    const o = { iou: 0.5, maxDet: 300, maxNms: 30000 };
    expect(Array.from(nms(c, { ...o, agnostic: false }))).toEqual([0, 1]);
    expect(Array.from(nms(c, { ...o, agnostic: true }))).toEqual([0]);
  });

  it('applies maxNms before and maxDet after suppression', () => {
    const rows = [0.9, 0.8, 0.7, 0.6].map((score, i) => ({ box: [i * 20, 0, i * 20 + 10, 10], score, cls: 0 }));
    const c = candidates(rows);
    expect(Array.from(nms(c, { iou: 0.5, maxDet: 2, agnostic: false, maxNms: 30000 }))).toEqual([0, 1]);
    expect(Array.from(nms(c, { iou: 0.5, maxDet: 300, agnostic: false, maxNms: 3 }))).toEqual([0, 1, 2]);
    expect(nms(candidates([]), { iou: 0.5, maxDet: 300, agnostic: false, maxNms: 30000 }).length).toBe(0);
  });

  it('handles class ids outside the direct-index range', () => {
    const c = candidates([
      { box: [0, 0, 10, 10], score: 0.9, cls: -5 },
      { box: [0, 0, 10, 10], score: 0.8, cls: 1 << 20 },
      { box: [0, 0, 10, 10], score: 0.7, cls: -5 },
    ]);
    expect(Array.from(nms(c, { iou: 0.5, maxDet: 300, agnostic: false, maxNms: 30000 }))).toEqual([0, 1]);
  });
});

describe('sortByScore', () => {
  it('orders by score descending, ties by index, negatives and -0 included', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.float({ noNaN: true }), fc.constantFrom(0, -0, 0.5, -1)), { maxLength: 200 }), (values) => {
        const scores = Float32Array.from(values);
        const expected = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]! || a - b);
        expect(Array.from(sortByScore(scores, scores.length, Infinity))).toEqual(expected);
      }),
    );
  });

  it('reads scores through a subarray view', () => {
    const scores = Float32Array.from([9, 0.1, 0.3, 0.2]).subarray(1);
    expect(Array.from(sortByScore(scores, 3, 2))).toEqual([1, 2]);
  });
});

// 1280x640 source -> 640x320 resized, padded 160 top and bottom to 640x640, scale 0.5.
const outPlan = planLetterbox({ width: 1280, height: 640 });

const c: Candidates = {
  count: 3,
  boxes: Float32Array.from([0, 160, 10, 170, 100, 200, 200, 300, -20, 100, 700, 500]),
  scores: Float32Array.from([0.5, 0.75, 0.25]),
  classIds: Int32Array.from([0, 7, 99]),
};

describe('toDetections', () => {
  it('maps kept boxes to source pixels, clips them, labels them and sorts by score', () => {
    expect(outPlan).toMatchObject({ scale: 0.5, pad: { left: 0, top: 160 } });
    const dets = toDetections(c, Int32Array.from([0, 1, 2]), outPlan, ['person', 'bicycle']);
    expect(dets).toEqual([
      { box: [200, 80, 400, 280], score: 0.75, classId: 7, label: 'class7' },
      { box: [0, 0, 20, 20], score: 0.5, classId: 0, label: 'person' },
      { box: [0, 0, 1280, 640], score: 0.25, classId: 99, label: 'class99' },
    ]);
  });

  it('returns only the kept candidates', () => {
    expect(toDetections(c, Int32Array.from([2]), outPlan, []).map((d) => d.classId)).toEqual([99]);
    expect(toDetections(c, new Int32Array(0), outPlan, [])).toEqual([]);
  });
});

describe('toPaddedTensors', () => {
  const det = (score: number, classId: number): Detection => ({ box: [1, 2, 3, 4], score, classId, label: '' });

  it('pads boxes and scores with 0 and classes with -1, EfficientNMS-style', () => {
    const t = toPaddedTensors([[det(0.5, 0), det(0.25, 3)], []], 3);
    expect(t.num_dets).toEqual({ dtype: 'int32', dims: [2], data: Int32Array.from([2, 0]) });
    expect(t.boxes.dims).toEqual([2, 3, 4]);
    expect(Array.from(t.boxes.data as Float32Array)).toEqual([1, 2, 3, 4, 1, 2, 3, 4, ...new Array(16).fill(0)]);
    expect(t.scores).toEqual({ dtype: 'float32', dims: [2, 3], data: Float32Array.from([0.5, 0.25, 0, 0, 0, 0]) });
    expect(t.classes).toEqual({ dtype: 'int32', dims: [2, 3], data: Int32Array.from([0, 3, -1, -1, -1, -1]) });
  });

  it('cuts an image at maxDet (checked where options are parsed: core/options.test)', () => {
    const t = toPaddedTensors([[det(0.9, 1), det(0.8, 2), det(0.7, 3)]], 2);
    expect(Array.from(t.num_dets.data as Int32Array)).toEqual([2]);
    expect(Array.from(t.classes.data as Int32Array)).toEqual([1, 2]);
  });
});

describe('classScores', () => {
  it('reads item rows of a [N, C] output, softmaxed for logits, as given for probabilities', () => {
    const outputs = { out: { dtype: 'float32' as const, dims: [2, 3], data: Float32Array.from([0, 0, 0, 0.5, 0.25, 0.25]) } };
    expect(Array.from(classScores(outputs, 'out', 0, 'logits'))).toEqual([1 / 3, 1 / 3, 1 / 3].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(classScores(outputs, 'out', 1, 'probabilities'))).toEqual([0.5, 0.25, 0.25]);
    expect(() => classScores(outputs, 'missing', 0, 'logits')).toThrow(/missing/);
  });
});

describe('topK', () => {
  it('orders by score, ties to the lower class id, labels by id', () => {
    const got = topK([0.1, 0.4, 0.1, 0.4], 3, ['a', 'b', 'c']);
    expect(got).toEqual([
      { classId: 1, label: 'b', score: 0.4 },
      { classId: 3, label: 'class3', score: 0.4 },
      { classId: 0, label: 'a', score: 0.1 },
    ]);
    expect(topK([1, 2], 5, ['a', 'b']).map((c) => c.classId)).toEqual([1, 0]);
  });
});

describe('softmax', () => {
  it('matches exp(x) / sum(exp(x)) and stays finite for large logits', () => {
    const p = softmax([1, 2, 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const sum = e[0]! + e[1]! + e[2]!;
    p.forEach((v, i) => expect(v).toBeCloseTo(e[i]! / sum, 12));
    const big = softmax([1000, 1000, 999]);
    expect(Array.from(big).every(Number.isFinite)).toBe(true);
    expect(big[0]).toBeCloseTo(big[1]!, 12);
    expect(big[0]! + big[1]! + big[2]!).toBeCloseTo(1, 12);
  });
});
