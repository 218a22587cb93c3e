import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DetectError } from '../errors/index.js';
import { DEFAULT_LETTERBOX, planLetterbox } from './index.js';

// Expected values printed by Ultralytics' LetterBox arithmetic run in python3 (same formula,
// Python's round), so these are the reference, not a re-derivation of our own code.
const CASES: { src: [number, number]; opts?: object; resized: [number, number]; pad: [number, number, number, number] }[] = [
  { src: [810, 1080], resized: [480, 640], pad: [80, 0, 80, 0] },
  { src: [1280, 720], resized: [640, 360], pad: [0, 140, 0, 140] },
  { src: [641, 480], resized: [640, 479], pad: [0, 80, 0, 81] }, // odd dh: 80.5 -> 80 top, 81 bottom
  { src: [1000, 999], resized: [640, 639], pad: [0, 0, 0, 1] }, // dh 0.5 -> 0 top, 1 bottom
  { src: [640, 427], resized: [640, 427], pad: [0, 106, 0, 107] },
  { src: [5, 3], resized: [640, 384], pad: [0, 128, 0, 128] },
  { src: [1280, 720], opts: { auto: true }, resized: [640, 360], pad: [0, 12, 0, 12] },
  { src: [500, 375], opts: { scaleUp: false }, resized: [500, 375], pad: [70, 132, 70, 133] },
  { src: [333, 500], opts: { size: { width: 416, height: 416 } }, resized: [277, 416], pad: [69, 0, 70, 0] },
  { src: [1280, 720], opts: { center: false }, resized: [640, 360], pad: [0, 0, 0, 280] },
  // Banker's rounding of the resized size: 2.5 -> 2 and 3.5 -> 4 (Math.round gives 3 and 4).
  { src: [5, 8], opts: { size: { width: 4, height: 4 } }, resized: [2, 4], pad: [1, 0, 1, 0] },
  { src: [1290, 5], opts: { size: { width: 645, height: 645 } }, resized: [645, 2], pad: [0, 321, 0, 322] },
  { src: [1282, 7], opts: { size: { width: 641, height: 641 } }, resized: [641, 4], pad: [0, 318, 0, 319] },
];

describe('planLetterbox', () => {
  it.each(CASES)('matches Ultralytics for $src $opts', ({ src, opts, resized, pad }) => {
    const plan = planLetterbox({ width: src[0], height: src[1] }, opts);
    expect([plan.resized.width, plan.resized.height]).toEqual(resized);
    expect([plan.pad.left, plan.pad.top, plan.pad.right, plan.pad.bottom]).toEqual(pad);
  });

  it('uses the frozen defaults', () => {
    expect(Object.isFrozen(DEFAULT_LETTERBOX)).toBe(true);
    expect(DEFAULT_LETTERBOX).toEqual({ size: { width: 640, height: 640 }, stride: 32, scaleUp: true, auto: false, center: true, padValue: 114 });
    const plan = planLetterbox({ width: 810, height: 1080 });
    expect(plan.target).toEqual({ width: 640, height: 640 });
    expect(plan.padValue).toBe(114);
    expect(plan.scale).toBeCloseTo(640 / 1080, 12);
  });

  it('keeps its invariants for random sizes and options', () => {
    fc.assert(
      fc.property(
        fc.record({ w: fc.integer({ min: 1, max: 8000 }), h: fc.integer({ min: 1, max: 8000 }) }),
        fc.record({ tw: fc.integer({ min: 32, max: 1280 }), th: fc.integer({ min: 32, max: 1280 }) }),
        fc.record({ auto: fc.boolean(), center: fc.boolean(), scaleUp: fc.boolean(), stride: fc.constantFrom(8, 32, 64) }),
        ({ w, h }, { tw, th }, o) => {
          fc.pre(Math.round(Math.min(w, h) * Math.min(tw / w, th / h)) >= 1);
          const plan = planLetterbox({ width: w, height: h }, { ...o, size: { width: tw, height: th } });
          const { pad, resized, target } = plan;
          for (const p of [pad.left, pad.top, pad.right, pad.bottom]) expect(Number.isInteger(p) && p >= 0).toBe(true);
          expect(resized.width + pad.left + pad.right).toBe(target.width);
          expect(resized.height + pad.top + pad.bottom).toBe(target.height);
          expect(target.width <= tw && target.height <= th).toBe(true);
          if (!o.auto) expect(target).toEqual({ width: tw, height: th });
          if (o.auto) expect((tw - target.width) % o.stride === 0 || (th - target.height) % o.stride === 0).toBe(true);
          if (!o.scaleUp) expect(plan.scale).toBeLessThanOrEqual(1);
          if (o.center) expect(Math.abs(pad.left - pad.right) <= 1 && Math.abs(pad.top - pad.bottom) <= 1).toBe(true);
          else expect(pad.left + pad.top).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects bad input with INVALID_ARGUMENT and a validate-style message', () => {
    const bad = (fn: () => unknown, message: string) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(DetectError);
        expect((err as DetectError).code).toBe('INVALID_ARGUMENT');
        expect((err as DetectError).message).toBe(message);
        return;
      }
      throw new Error('did not throw');
    };
    bad(() => planLetterbox({ width: 1.5, height: 10 }), 'Expected integer between 1 and 65536 for source.width but received 1.5 of type number');
    bad(() => planLetterbox({ width: 10, height: 10 }, { stride: 0 }), 'Expected integer between 1 and 65536 for stride but received 0 of type number');
    bad(() => planLetterbox({ width: 10, height: 10 }, { padValue: 256 }), 'Expected integer between 0 and 255 for padValue but received 256 of type number');
    bad(() => planLetterbox({ width: 10, height: 10 }, { auto: 'yes' as never }), 'Expected boolean for auto but received "yes" of type string');
    bad(() => planLetterbox({ width: 10000, height: 1 }), 'Expected size that keeps 1 pixel per side at 640x640 for source but received "10000x1" of type string');
  });
});
