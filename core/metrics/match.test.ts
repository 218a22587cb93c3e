import { describe, expect, it } from 'vitest';
import type { BoxXYXY } from '../types.js';
import { boxIou } from './box-iou.js';
import { IOU_THRESHOLDS, matchPredictions } from './match.js';

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
