/**
 * @module models/demo/run-extents
 * For every pixel of a 0/1 mask, the edges of the run of mask pixels through it along one axis,
 * with standard ONNX ops only. A mask pixel at x gets value x + BIG, any other pixel x; the
 * first non-mask position at or after x is then a suffix minimum, which doubling shifts
 * (Slice + Pad + Min, ceil(log2(size + 1)) steps) compute without loops or custom ops. The
 * image border counts as non-mask (pad value `size` on the right, -1 on the left).
 */
import type { GraphContext } from './graph-context.js';

export interface RunEdges {
  /** Edge coordinate where the run starts (its first pixel index). */
  readonly start: string;
  /** Edge coordinate where the run ends (last pixel index + 1). */
  readonly end: string;
}

/** `mask` is float 0/1, rank 4, `size` long on `axis` (2 = rows/y, 3 = columns/x). */
export function runEdges(g: GraphContext, mask: string, axis: 2 | 3, size: number): RunEdges {
  const coordDims = axis === 3 ? [1, 1, 1, size] : [1, 1, size, 1];
  const coord = g.floats(coordDims, Array.from({ length: size }, (_, i) => i));
  const big = g.op('Mul', [mask, g.floats([], [4 * size])]);
  let end = g.op('Add', [coord, big]);
  let before = g.op('Sub', [coord, big]);
  const axes = g.ints([axis]);
  const border = { after: g.floats([], [size]), before: g.floats([], [-1]) };
  for (let shift = 1, window = 1; window < size + 1; shift *= 2, window *= 2) {
    const padAfter = [0, 0, 0, 0, 0, 0, 0, 0];
    padAfter[4 + axis] = shift;
    const ahead = g.op('Slice', [end, g.ints([shift]), g.ints([size]), axes]);
    end = g.op('Min', [end, g.op('Pad', [ahead, g.ints(padAfter), border.after])]);
    const padBefore = [0, 0, 0, 0, 0, 0, 0, 0];
    padBefore[axis] = shift;
    const behind = g.op('Slice', [before, g.ints([0]), g.ints([size - shift]), axes]);
    before = g.op('Max', [before, g.op('Pad', [behind, g.ints(padBefore), border.before])]);
  }
  // `before` is the last non-mask position at or before x; the run starts one after it.
  return { start: g.op('Add', [before, g.floats([], [1])]), end };
}
