import { describe, expect, it } from 'vitest';
import { toHalfBits } from './index.js';

describe('toHalfBits', () => {
  it('matches numpy float32 -> float16 bits', () => {
    // Printed by numpy 2.4: np.float32(v).astype(np.float16).view(np.uint16)
    const cases: [number, number][] = [
      [1, 0x3c00], [0.5, 0x3800], [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00],
      [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [-2, 0xc000], [1 / 3, 0x3555],
      [1 / 255, 0x1c04], [2 ** -14, 0x0400], [0.1, 0x2e66], [-0, 0x8000], [Infinity, 0x7c00],
      [1 + 2 ** -10 + 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02 -> even
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie -> up
      [6.1e-5, 0x03ff], // largest subnormal, rounding stays below the smallest normal
    ];
    for (const [v, bits] of cases) expect([v, toHalfBits(Math.fround(v)).toString(16)]).toEqual([v, bits.toString(16)]);
    expect(toHalfBits(NaN)).toBe(0x7e00);
    expect(toHalfBits(-Infinity)).toBe(0xfc00);
  });
});
