/**
 * Regression test against the reference preprocessing: OpenCV's own letterbox of bus.jpg and
 * zidane.jpg, computed at test time by test/helpers/cv2_reference.py (python3-opencv is a
 * test-time dependency, installed by scripts/install-system-deps.sh; no derived image is
 * committed). Bounds: measured bit-exact against OpenCV 4.6 on x86 (see FIDELITY.md); the test
 * allows a stray +-1 so another OpenCV build does not fail it, while sharp's own kernels
 * (mean diff 2.4-4 levels on bus.jpg) would.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planLetterbox } from '../../core/letterbox/index.js';
import { findCv2Python, pixelDiff as stats, runCv2Reference } from '../../test/helpers/cv2-reference.js';
import { IMAGES } from '../../test/helpers/shared-data.js';
import { createSharpDecoder } from './index.js';

describe('letterbox fidelity against OpenCV (cv2.imread + LetterBox, INTER_LINEAR)', () => {
  const python = findCv2Python();
  if (!python) throw new Error('python3 with cv2 is required for this test: run scripts/install-system-deps.sh (python3-opencv python3-numpy)');
  const images = [IMAGES.bus(), IMAGES.zidane()];
  const refs = runCv2Reference(python, 'letterbox', images);

  it.each([0, 1])('default decoder matches cv2 on image %i (bus.jpg downscale, zidane.jpg exact 2x)', async (i) => {
    const out = await createSharpDecoder().decode(readFileSync(images[i]!), (s) => planLetterbox(s));
    const ref = refs[i]!;
    expect(out.plan.resized).toEqual(ref.resized);
    expect(out.plan.pad).toEqual(ref.pad);
    expect(out.pixels.length).toBe(ref.pixels.length);
    const { mad, max } = stats(out.pixels, ref.pixels);
    expect(mad).toBeLessThan(0.01);
    expect(max).toBeLessThanOrEqual(1);
  });

  it('would catch a drift: sharp lanczos3 is far from cv2 on bus.jpg', async () => {
    const out = await createSharpDecoder({ resize: 'lanczos3' }).decode(readFileSync(images[0]!), (s) => planLetterbox(s));
    expect(stats(out.pixels, refs[0]!.pixels).mad).toBeGreaterThan(1);
  });
});
