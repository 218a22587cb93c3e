/**
 * @module core/math/round-half-even
 * Python 3's `round(x)`: ties go to the even integer. Ultralytics' LetterBox and scale_boxes
 * round with it, and `Math.round` (ties up) gives a different pixel for every exact .5, e.g.
 * round(2.5) is 2 in Python and 3 in JS; matching it keeps our pads identical to the reference.
 */

export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const floor = Math.floor(x);
  // Exact for every double: subtracting the floor never rounds.
  const frac = x - floor;
  if (frac > 0.5) return floor + 1;
  if (frac < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
