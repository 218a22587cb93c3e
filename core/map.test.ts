/**
 * @module core/map.test
 * mAP as `yolo val` computes it: whole data sets, YOLO label files, the validator's matching
 * (its lowest-index quirk included), per-class AP, the 101-point AP and np.interp's semantics.
 */
import { describe, expect, it } from 'vitest';
import { apPerClass, boxIou, computeAp, evaluateMap, interp, IOU_THRESHOLDS, matchPredictions, parseYoloLabels } from './map.js';
import type { BoxXYXY } from './types.js';

describe('evaluateMap', () => {
  it('scores a perfect detector 0.995 (Ultralytics interp ceiling)', () => {
    const r = evaluateMap([
      { labels: [{ box: [0, 0, 10, 10], classId: 0 }], predictions: [{ box: [0, 0, 10, 10], score: 0.9, classId: 0 }] },
      { labels: [{ box: [5, 5, 20, 20], classId: 1 }], predictions: [{ box: [5, 5, 20, 20], score: 0.8, classId: 1 }] },
    ]);
    expect(r.map50).toBeCloseTo(0.995, 12);
    expect(r.map50_95).toBeCloseTo(0.995, 12);
    expect(r.perClass.map((c) => c.classId)).toEqual([0, 1]);
  });
  it('counts labels of images without predictions', () => {
    const r = evaluateMap([
      { labels: [{ box: [0, 0, 10, 10], classId: 0 }], predictions: [{ box: [0, 0, 10, 10], score: 0.9, classId: 0 }] },
      { labels: [{ box: [0, 0, 10, 10], classId: 0 }], predictions: [] },
    ]);
    expect(r.map50).toBeCloseTo(0.75, 12);
    expect(r.labels).toBe(2);
  });
  it('averages IoU thresholds for mAP50-95', () => {
    // IoU 0.82: a hit at 0.50..0.80 (7 thresholds), a miss above.
    const r = evaluateMap([
      { labels: [{ box: [0, 0, 100, 100], classId: 0 }], predictions: [{ box: [0, 0, 100, 82], score: 0.9, classId: 0 }] },
    ]);
    expect(r.map50).toBeCloseTo(0.995, 12);
    expect(r.map50_95).toBeCloseTo((0.995 * 7) / 10, 12);
  });
});

describe('parseYoloLabels', () => {
  it('turns normalized cx cy w h into pixel xyxy', () => {
    expect(parseYoloLabels('3 0.5 0.5 0.5 0.25\n\n', { width: 200, height: 100 })).toEqual([
      { classId: 3, box: [50, 37.5, 150, 62.5] },
    ]);
  });
  it('names the file and line of a bad row', () => {
    expect(() => parseYoloLabels('0 0.5 0.5 0.1 0.1\n0 x', { width: 1, height: 1 }, 'a.txt')).toThrow('a.txt:2');
  });
});

const label: BoxXYXY = [0, 0, 100, 100];

describe('matchPredictions', () => {
  it('uses float32 thresholds 0.5..0.95', () => {
    expect(IOU_THRESHOLDS).toHaveLength(10);
    expect(IOU_THRESHOLDS[1]).toBe(Math.fround(0.55));
    expect(IOU_THRESHOLDS[9]).toBe(Math.fround(0.95));
  });
  it('matches by class and IoU threshold', () => {
    const pred: BoxXYXY = [0, 0, 100, 82]; // IoU 0.82
    const hit = matchPredictions({ boxes: [pred], classes: [2] }, { boxes: [label], classes: [2] });
    expect([...hit]).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    const otherClass = matchPredictions({ boxes: [pred], classes: [1] }, { boxes: [label], classes: [2] });
    expect([...otherClass]).toEqual(new Array(10).fill(0));
  });
  it('gives a label to its lowest-indexed matching prediction (Ultralytics np.unique order)', () => {
    const weak: BoxXYXY = [0, 0, 100, 60]; // IoU 0.6, index 0
    const strong: BoxXYXY = [0, 0, 100, 95]; // IoU 0.95, index 1
    expect(boxIou(weak, label)).toBeCloseTo(0.6, 6);
    const c = matchPredictions({ boxes: [weak, strong], classes: [0, 0] }, { boxes: [label], classes: [0] }, [0.5, 0.7]);
    // At 0.5 both qualify: the label goes to prediction 0; at 0.7 only prediction 1 does.
    expect([...c]).toEqual([1, 0, 0, 1]);
  });
  it('gives a prediction to its best-IoU label', () => {
    const pred: BoxXYXY = [0, 0, 100, 100];
    const near: BoxXYXY = [0, 0, 100, 90];
    const c = matchPredictions({ boxes: [pred], classes: [0] }, { boxes: [near, label], classes: [0, 0] }, [0.5]);
    expect([...c]).toEqual([1]);
  });
  it('handles empty inputs', () => {
    expect(matchPredictions({ boxes: [], classes: [] }, { boxes: [label], classes: [0] })).toHaveLength(0);
    expect([...matchPredictions({ boxes: [label], classes: [0] }, { boxes: [], classes: [] })]).toEqual(new Array(10).fill(0));
  });
});

describe('apPerClass', () => {
  it('ranks by confidence and ignores classes absent from the labels', () => {
    // class 0: one label; an FP scored above the TP. class 3: predicted but never labelled.
    const tp = new Uint8Array([1, 0, 0]);
    const { classes, ap } = apPerClass(tp, [0.5, 0.9, 0.8], [0, 0, 3], [0], 1);
    expect(classes).toEqual([0]);
    expect(ap[0][0]).toBeCloseTo(0.5 * 0.995, 12);
  });
  it('gives 0 to a labelled class with no predictions', () => {
    const { ap } = apPerClass(new Uint8Array(0), [], [], [1, 1], 2);
    expect(ap).toEqual([[0, 0]]);
  });
});

describe('computeAp (101-point interp)', () => {
  it('gives 0.995 for a perfect detector, as Ultralytics does', () => {
    expect(computeAp([0.5, 1], [1, 1])).toBeCloseTo(0.995, 12);
  });
  it('gives 0.75 for one hit out of two labels', () => {
    expect(computeAp([0.5], [1])).toBeCloseTo(0.75, 12);
  });
  it('uses the precision envelope', () => {
    // FP then TP: precision 0, 0.5 at recall 0, 1 -> envelope 0.5 everywhere but the end.
    expect(computeAp([0, 1], [0, 0.5])).toBeCloseTo(0.5 * 0.995, 12);
  });
});

describe('interp (np.interp semantics)', () => {
  it('interpolates linearly and clamps outside the range', () => {
    expect(interp(0.25, [0, 0.5, 1], [1, 0.5, 0])).toBeCloseTo(0.75, 12);
    expect(interp(-1, [0, 1], [3, 4])).toBe(3);
    expect(interp(2, [0, 1], [3, 4])).toBe(4);
  });
  it('takes the last of a run of equal xp values, like numpy', () => {
    // np.interp(0, [0, 0, 0.5, 1], [1, 0.8, 0.6, 0]) == 0.8
    expect(interp(0, [0, 0, 0.5, 1], [1, 0.8, 0.6, 0])).toBe(0.8);
    expect(interp(0.5, [0, 0.5, 0.5, 1], [1, 0.9, 0.7, 0])).toBe(0.7);
  });
});
