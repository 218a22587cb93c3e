import { describe, expect, it } from 'vitest';
import { createNormalizer, toHalfBits } from '../normalize/index.js';
import { channelStats, tensorRange } from './channel-stats.js';
import { describeSteps, letterboxView } from './describe.js';
import { planLetterbox } from '../letterbox/index.js';
import { tensorToRgb } from './view.js';

describe('channelStats', () => {
  it('gives min/max/mean/std per channel over every item, for float32 and float16', () => {
    // [2, 3, 1, 2]: channel 0 holds 0, 1, 2, 3 across the two items.
    const data = Float32Array.from([0, 1, 10, 10, -1, 1, 2, 3, 10, 10, -1, 1]);
    const stats = channelStats(data, [2, 3, 1, 2]);
    expect(stats[0]).toEqual({ min: 0, max: 3, mean: 1.5, std: Math.sqrt(1.25) });
    expect(stats[1]).toEqual({ min: 10, max: 10, mean: 10, std: 0 });
    expect(stats[2]).toEqual({ min: -1, max: 1, mean: 0, std: 1 });
    expect(channelStats(Uint16Array.from(data, toHalfBits), [2, 3, 1, 2])).toEqual(stats);
    expect(tensorRange(stats)).toEqual([-1, 10]);
    expect(() => channelStats(data, [3, 1, 2])).toThrow(/data.length/);
  });
});

describe('tensorToRgb', () => {
  const rgb = Uint8Array.from([255, 0, 7, 114, 114, 114]); // 2x1 HWC: a red-ish pixel and the pad grey
  const size = { width: 2, height: 1 };

  it('undoes the normaliser exactly (scale, mean/std, BGR) and clamps a wrong scale to white', () => {
    const cases = [{ scale: 1 / 255 }, { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, { scale: 1, mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395] }] as const;
    for (const c of cases) for (const order of ['rgb', 'bgr'] as const) {
      const t = new Float32Array(6);
      createNormalizer().normalizeInto(rgb, size, t, 0, { ...c, modelOrder: order } as never);
      expect(tensorToRgb(t, [1, 3, 1, 2], { ...c, channelOrder: order }).pixels).toEqual(rgb);
    }
    const raw = new Float32Array(6);
    createNormalizer().normalizeInto(rgb, size, raw, 0, { scale: 1 });
    expect([...tensorToRgb(raw, [3, 1, 2], { scale: 1 / 255, channelOrder: 'rgb' }).pixels]).toEqual([255, 0, 255, 255, 255, 255]);
  });
});

describe('describeSteps', () => {
  it('lists the letterbox and pixel steps in order, mean/std only when set', () => {
    const plan = letterboxView(planLetterbox({ width: 810, height: 1080 }, { size: { width: 640, height: 640 } }));
    expect(plan).toMatchObject({ kind: 'letterbox', source: { width: 810, height: 1080 }, resized: { width: 480, height: 640 }, padding: { left: 80, right: 80, top: 0, bottom: 0 }, padValue: 114 });
    const spec = { kernel: 'cv2-linear', channelOrder: 'rgb', scale: 1 / 255, dtype: 'float32' } as const;
    expect(describeSteps(plan, spec).map((s) => s.step)).toEqual(['decode', 'resize', 'pad', 'channels', 'scale', 'layout', 'dtype']);
    expect(describeSteps(plan, { ...spec, std: [2, 2, 2] })[5]).toEqual({ step: 'normalize', mean: [0, 0, 0], std: [2, 2, 2] });
  });
});
