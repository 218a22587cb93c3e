import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candidates } from '../decode/index.js';
import { nms, sortByScore, type NmsOptions } from './index.js';

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
