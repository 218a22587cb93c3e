/**
 * @module core/geometry.test
 * Plans against their references: the letterbox against Ultralytics' LetterBox arithmetic, the
 * centre crop against torchvision's and DALI's formulas, each with property tests of their
 * invariants; boxes mapped back through the same plan; Python's round.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DetectError } from './errors.js';
import { type CropOptions, DEFAULT_LETTERBOX, type LetterboxPlan, planCrop, planLetterbox, roundHalfEven, toSourceBoxes } from './geometry.js';

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

  it('only reads `count` boxes', () => {
    const plan = planLetterbox({ width: 1280, height: 720 });
    const boxes = new Float32Array([0, 140, 640, 500, 1, 2, 3, 4]);
    expect(toSourceBoxes(boxes, 1, plan)).toEqual(new Float32Array([0, 0, 1280, 720]));
    expect(toModelBoxes(new Float32Array([0, 0, 1280, 720]), 1, plan)).toEqual(new Float32Array([0, 140, 640, 500]));
    expect(toSourceBoxes(boxes, 0, plan).length).toBe(0);
  });
});

const S224 = { width: 224, height: 224 };

// Expected values worked by hand from torchvision 0.14's formulas (functional.resize:
// new_long = int(size * long / short); center_crop: top = int(round((h - ch) / 2.0)), Python's
// half-even round; pad (ch - h) // 2 before and (ch - h + 1) // 2 after), shown per case.
const CROP_CASES: { src: [number, number]; opts: Partial<CropOptions>; resized: [number, number]; crop: [number, number]; pad: [number, number, number, number] }[] = [
  // w shorter: h = int(256 * 1080 / 810) = 341; top = round(117 / 2 = 58.5) = 58, left = 16
  { src: [810, 1080], opts: { resizeTo: 256 }, resized: [256, 341], crop: [16, 58], pad: [0, 0, 0, 0] },
  // h shorter: w = int(256 * 1280 / 720) = 455; left = round(231 / 2 = 115.5) = 116
  { src: [1280, 720], opts: { resizeTo: 256 }, resized: [455, 256], crop: [116, 16], pad: [0, 0, 0, 0] },
  // default resizeTo = crop side: w = int(224 * 500 / 375) = 298; left = round(37) = 37
  { src: [500, 375], opts: {}, resized: [298, 224], crop: [37, 0], pad: [0, 0, 0, 0] },
  // smaller than the crop: w = int(199 * 400 / 300) = 265, left = round(20.5) = 20; h 199: pad 25 // 2 = 12, 26 // 2 = 13
  { src: [400, 300], opts: { resizeTo: 199 }, resized: [265, 199], crop: [20, 0], pad: [0, 12, 0, 13] },
  // DALI not_larger: scale = 224 / 1080, w = round(168.0) = 168; pad 56 -> 28 + 28
  { src: [810, 1080], opts: { resize: 'not_larger' }, resized: [168, 224], crop: [0, 0], pad: [28, 0, 28, 0] },
  // not_larger, odd pad: scale = 224 / 501, w = 224, h = round(100 * 224 / 501 = 44.7) = 45; 179 -> 89 + 90
  { src: [501, 100], opts: { resize: 'not_larger' }, resized: [224, 45], crop: [0, 0], pad: [0, 89, 0, 90] },
];

const base: CropOptions = { size: S224, resize: 'shorter', padValue: 0 };

describe('planCrop', () => {
  it.each(CROP_CASES)('matches torchvision/DALI for $src $opts', ({ src, opts, resized, crop, pad }) => {
    const plan = planCrop({ width: src[0], height: src[1] }, { ...base, ...opts });
    expect(plan.kind).toBe('crop');
    expect([plan.resized.width, plan.resized.height]).toEqual(resized);
    expect([plan.crop.left, plan.crop.top]).toEqual(crop);
    expect([plan.pad.left, plan.pad.top, plan.pad.right, plan.pad.bottom]).toEqual(pad);
    expect(plan.target).toEqual(S224);
  });

  it('refuses bad options with the field named', () => {
    expect(() => planCrop({ width: 10, height: 10 }, { ...base, resize: 'longer' as never })).toThrow(/resize/);
    expect(() => planCrop({ width: 10, height: 10 }, { ...base, resizeTo: 0 })).toThrow(/resizeTo/);
    expect(() => planCrop({ width: 0, height: 10 }, base)).toThrow(DetectError);
    // 1x5000 fitted into 224: the short side would round to 0 pixels.
    expect(() => planCrop({ width: 1, height: 5000 }, { ...base, resize: 'not_larger' })).toThrow(/1 pixel per side/);
  });

  it('always tiles the target exactly: window inside the resized image, padding split centred', () => {
    const side = fc.integer({ min: 1, max: 4000 });
    fc.assert(fc.property(side, side, fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 600 }), fc.constantFrom('shorter', 'not_larger' as const), (w, h, tw, th, n, resize) => {
      let plan;
      try {
        plan = planCrop({ width: w, height: h }, { size: { width: tw, height: th }, resize, resizeTo: n, padValue: 0 });
      } catch (err) {
        expect((err as Error).message).toMatch(/1 pixel per side/);
        return;
      }
      const { crop, pad, resized, target } = plan;
      expect(crop.left + crop.width).toBeLessThanOrEqual(resized.width);
      expect(crop.top + crop.height).toBeLessThanOrEqual(resized.height);
      expect(crop.left).toBeGreaterThanOrEqual(0);
      expect(pad.left + crop.width + pad.right).toBe(target.width);
      expect(pad.top + crop.height + pad.bottom).toBe(target.height);
      expect(pad.right - pad.left).toBeGreaterThanOrEqual(0);
      expect(pad.right - pad.left).toBeLessThanOrEqual(1);
      if (resize === 'shorter') expect(Math.min(resized.width, resized.height)).toBe(n);
      else expect(Math.max(resized.width, resized.height)).toBe(n);
    }));
  });
});

describe('roundHalfEven', () => {
  it('matches Python round() on ties', () => {
    // Values printed by python3 -c "print([round(x) for x in (...)])"
    const cases: [number, number][] = [
      [0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, 0], [-1.5, -2], [-2.5, -2], [79.5, 80], [80.5, 80],
      [139.9, 140], [140.1, 140], [0.4, 0], [0.6, 1], [-0.6, -1], [7, 7],
    ];
    for (const [x, want] of cases) expect(roundHalfEven(x) === want).toBe(true);
  });

  it('differs from Math.round only on exact ties', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (x) => {
        const tie = x - Math.floor(x) === 0.5;
        if (!tie) expect(roundHalfEven(x) === Math.round(x)).toBe(true);
        else expect(roundHalfEven(x) % 2).toBe(0);
      }),
    );
  });
});
