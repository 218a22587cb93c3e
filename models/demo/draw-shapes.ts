/**
 * @module models/demo/draw-shapes
 * Paints solid shapes into a planar RGB float tensor ([3, H, W], values 0..1), the demo model's
 * input layout, for tests and benchmarks. A pixel belongs to an ellipse when its centre
 * (x + 0.5, y + 0.5) is inside, so a shape's expected box is exactly its geometric extent.
 */

export type Rgb = readonly [number, number, number];

export type Shape =
  | { readonly kind: 'rect'; readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number; readonly color: Rgb }
  | { readonly kind: 'ellipse'; readonly cx: number; readonly cy: number; readonly rx: number; readonly ry: number; readonly color: Rgb };

export const COLORS = {
  red: [1, 0, 0],
  green: [0, 0.75, 0],
  blue: [0, 0, 1],
  yellow: [1, 1, 0],
  white: [1, 1, 1],
  padGrey: [114 / 255, 114 / 255, 114 / 255],
} as const satisfies Record<string, Rgb>;

/** The x1 y1 x2 y2 box a shape should be detected with. */
export function shapeBox(s: Shape): [number, number, number, number] {
  return s.kind === 'rect' ? [s.x1, s.y1, s.x2, s.y2] : [s.cx - s.rx, s.cy - s.ry, s.cx + s.rx, s.cy + s.ry];
}

/** A new [3, size, size] image of `background` with `shapes` painted in order. */
export function drawShapes(size: number, background: Rgb, shapes: readonly Shape[]): Float32Array {
  const img = new Float32Array(3 * size * size);
  const plane = size * size;
  for (let c = 0; c < 3; c++) img.fill(background[c]!, c * plane, (c + 1) * plane);
  for (const s of shapes) {
    const [bx1, by1, bx2, by2] = shapeBox(s).map(Math.round) as [number, number, number, number];
    for (let y = Math.max(0, by1); y < Math.min(size, by2); y++) {
      for (let x = Math.max(0, bx1); x < Math.min(size, bx2); x++) {
        if (s.kind === 'ellipse' && ((x + 0.5 - s.cx) / s.rx) ** 2 + ((y + 0.5 - s.cy) / s.ry) ** 2 > 1) continue;
        for (let c = 0; c < 3; c++) img[c * plane + y * size + x] = s.color[c]!;
      }
    }
  }
  return img;
}
