import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DetectError } from '../errors/index.js';
import { cropLinear, cropWindow } from '../resize/index.js';
import { planCrop, type CropOptions } from './index.js';

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

describe('cropLinear', () => {
  const raster = (width: number, height: number) => ({ data: Uint8Array.from({ length: width * height * 3 }, (_, i) => i % 251), width, height, channels: 3 });

  it('copies the window of an image already at the resized size, pad grey around it', () => {
    const plan = planCrop({ width: 6, height: 2 }, { size: { width: 4, height: 4 }, resize: 'shorter', resizeTo: 2, padValue: 7 });
    // w = int(2 * 6 / 2) = 6, left = round(1) = 1; h 2 < 4: one padded row above and below.
    const src = raster(6, 2);
    const out = cropLinear(src, plan);
    expect(Array.from(out.subarray(0, 12))).toEqual(new Array(12).fill(7));
    expect(Array.from(out.subarray(12, 24))).toEqual(Array.from(src.data.subarray(3, 15)));
    expect(Array.from(out.subarray(24, 36))).toEqual(Array.from(src.data.subarray(21, 33)));
    expect(Array.from(out.subarray(36))).toEqual(new Array(12).fill(7));
  });

  it('refuses an image that is not at the plan\'s resized size', () => {
    const plan = planCrop({ width: 8, height: 8 }, { size: { width: 4, height: 4 }, resize: 'shorter', padValue: 0 });
    expect(() => cropWindow(raster(8, 8), plan)).toThrow(RangeError);
  });
});
