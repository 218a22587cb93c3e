import { describe, expect, it } from 'vitest';
import { exactMulForms, mulFormValue } from './mul-form.js';
import { planNormalize } from './plan.js';

describe('exactMulForms', () => {
  it('accepts the division-free form for /255 (Ultralytics) and plain scales', () => {
    for (const scale of [1 / 255, 1, 0.5]) {
      const { channels } = planNormalize({ scale });
      const forms = exactMulForms(channels);
      expect(forms).toBeDefined();
      for (let x = 0; x < 256; x++) expect(mulFormValue(x, forms![0]!)).toBe(Math.fround(x / (1 / scale)));
    }
    // The exact reference for the default: x / 255 correctly rounded to float32.
    const forms = exactMulForms(planNormalize().channels)!;
    for (let x = 0; x < 256; x++) expect(mulFormValue(x, forms[1]!)).toBe(Math.fround(x / 255));
  });

  it('refuses it when any of the 256 values would differ (NanoDet mean/std), so division runs', () => {
    const { channels } = planNormalize({ scale: 1, mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395] });
    expect(exactMulForms(channels)).toBeUndefined();
  });
});
