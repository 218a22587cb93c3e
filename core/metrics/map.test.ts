import { describe, expect, it } from 'vitest';
import { evaluateMap } from './map.js';
import { parseYoloLabels } from './yolo-labels.js';

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
