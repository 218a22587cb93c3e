import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { roundHalfEven } from './index.js';

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
