import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { planLetterbox, toSourceBoxes, type LetterboxPlan } from './index.js';

/** Source xyxy -> model-input xyxy: the forward map, written out here to check the inverse. */
function toModelBoxes(boxes: Float32Array, count: number, plan: LetterboxPlan): Float32Array {
  const out = new Float32Array(count * 4);
  for (let i = 0; i < count * 4; i += 2) {
    out[i] = boxes[i]! * plan.scale + plan.pad.left;
    out[i + 1] = boxes[i + 1]! * plan.scale + plan.pad.top;
  }
  return out;
}

describe('toSourceBoxes', () => {
  it('maps a known box of bus.jpg (810x1080 -> 640) like scale_boxes', () => {
    const plan = planLetterbox({ width: 810, height: 1080 });
    // Model space: pad left 80, gain 640/1080.
    const model = new Float32Array([80, 0, 560, 640, 0, 0, 700, 700]);
    const src = toSourceBoxes(model, 2, plan);
    expect(Array.from(src.subarray(0, 4))).toEqual([0, 0, 810, 1080]);
    // The second box is clipped to the image (clip_boxes), the raw map would be negative/outside.
    expect(Array.from(src.subarray(4))).toEqual([0, 0, 810, 1080]);
    const raw = toSourceBoxes(model, 2, plan, false);
    expect(raw[4]).toBeCloseTo(-80 * (1080 / 640), 3);
    expect(model[4]).toBe(0); // input untouched
  });

  it('round-trips within 0.5 px for random sizes, options and boxes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 6000 }),
        fc.integer({ min: 8, max: 6000 }),
        fc.integer({ min: 64, max: 1280 }),
        fc.record({ auto: fc.boolean(), center: fc.boolean(), scaleUp: fc.boolean() }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 20 }),
        (w, h, t, o, rel) => {
          fc.pre(Math.round(Math.min(w, h) * Math.min(t / w, t / h)) >= 1);
          const plan = planLetterbox({ width: w, height: h }, { ...o, size: { width: t, height: t } });
          const src = new Float32Array(rel.flatMap(([a, b, c, d]) => [Math.min(a, c) * w, Math.min(b, d) * h, Math.max(a, c) * w, Math.max(b, d) * h]));
          const back = toSourceBoxes(toModelBoxes(src, rel.length, plan), rel.length, plan);
          for (let i = 0; i < src.length; i++) expect(Math.abs(back[i]! - src[i]!)).toBeLessThanOrEqual(0.5);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('only reads `count` boxes and validates count', () => {
    const plan = planLetterbox({ width: 1280, height: 720 });
    const boxes = new Float32Array([0, 140, 640, 500, 1, 2, 3, 4]);
    expect(toSourceBoxes(boxes, 1, plan)).toEqual(new Float32Array([0, 0, 1280, 720]));
    expect(toModelBoxes(new Float32Array([0, 0, 1280, 720]), 1, plan)).toEqual(new Float32Array([0, 140, 640, 500]));
    expect(() => toSourceBoxes(boxes, 3, plan)).toThrow(/count/);
    expect(toSourceBoxes(boxes, 0, plan).length).toBe(0);
  });
});
