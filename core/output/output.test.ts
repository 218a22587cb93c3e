import { describe, expect, it } from 'vitest';
import type { Candidates } from '../decode/index.js';
import { planLetterbox } from '../letterbox/index.js';
import type { Detection } from '../types.js';
import { toDetections, toPaddedTensors } from './index.js';

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

  it('cuts an image at maxDet and rejects a bad maxDet', () => {
    const t = toPaddedTensors([[det(0.9, 1), det(0.8, 2), det(0.7, 3)]], 2);
    expect(Array.from(t.num_dets.data as Int32Array)).toEqual([2]);
    expect(Array.from(t.classes.data as Int32Array)).toEqual([1, 2]);
    expect(() => toPaddedTensors([], 0)).toThrow(/for maxDet but received 0/);
  });
});
