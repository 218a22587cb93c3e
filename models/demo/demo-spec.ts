/**
 * @module models/demo/demo-spec
 * What the demo detector detects and at what size. Colour bounds are on the model input
 * (RGB scaled by 1/255). They leave a wide margin on both sides so JPEG artefacts and chroma
 * blur at shape edges do not flip a pixel, and the letterbox pad grey (114/255 = 0.447) and
 * white/black backgrounds match no class. The bounds are disjoint: a pixel has at most one class.
 */

export interface DemoClass {
  readonly name: string;
  /** Exclusive lower bound per channel (r, g, b). */
  readonly min: readonly [number, number, number];
  /** Exclusive upper bound per channel (r, g, b). */
  readonly max: readonly [number, number, number];
}

const ANY_LOW = -1;
const ANY_HIGH = 2;

export const DEMO_CLASSES: readonly DemoClass[] = [
  { name: 'red', min: [0.6, ANY_LOW, ANY_LOW], max: [ANY_HIGH, 0.4, 0.4] },
  { name: 'green', min: [ANY_LOW, 0.5, ANY_LOW], max: [0.4, ANY_HIGH, 0.4] },
  { name: 'blue', min: [ANY_LOW, ANY_LOW, 0.6], max: [0.4, 0.4, ANY_HIGH] },
  { name: 'yellow', min: [0.6, 0.6, ANY_LOW], max: [ANY_HIGH, ANY_HIGH, 0.4] },
];

export const DEMO_SPEC = {
  /** Square input side in pixels. */
  size: 320,
  /** Anchor grid step: one anchor every `stride` pixels, at pixel `stride * i + stride / 2`. */
  stride: 4,
  /** Side of the erosion window at anchors: specks and lines thinner than this are ignored. */
  minSide: 5,
  inputName: 'images',
  outputName: 'output0',
  opset: 17,
} as const;

/** Anchors per image: (size / stride)^2. */
export const DEMO_ANCHORS = (DEMO_SPEC.size / DEMO_SPEC.stride) ** 2;
