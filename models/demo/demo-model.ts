/**
 * @module models/demo/demo-model
 * The demo detector, generated from code (scripts/build.mjs bundles this module and calls
 * `buildDemoModelFile`), so the project has a model with no downloaded weights and no licence
 * strings attached. It finds solid red, green, blue and yellow shapes and answers in YOLOv8's
 * output layout [batch, 4 + classes, anchors], with Ultralytics' metadata keys, so the manifest
 * cross-check, `labels: "metadata"` and the whole decode/NMS path work exactly as for an
 * exported YOLOv8 model.
 *
 * - Colour bounds are on the model input (RGB scaled by 1/255). They leave a wide margin on both
 *   sides so JPEG artefacts and chroma blur at shape edges do not flip a pixel, and the
 *   letterbox pad grey (114/255 = 0.447) and white/black backgrounds match no class. The bounds
 *   are disjoint: a pixel has at most one class.
 * - The graph uses standard ONNX ops only (no loops, no custom ops), and names its values
 *   sequentially, so the same code always gives the same model bytes.
 * - `drawShapes` paints test images in the model's input layout, with the box each shape
 *   should be detected with (`shapeBox`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type AttrValue, initializer, model, type ModelSpec, node, type NodeSpec, type TensorSpec, valueInfo } from '../../infra/onnx/graph.js';

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

/** The demo model's ONNX bytes; identical on every call. */
export function buildDemoModel(): Uint8Array {
  return model(demoGraph(demoMetadata()));
}

/** Writes the demo model and returns the path written. */
export async function buildDemoModelFile(outPath = 'models/demo/demo.onnx'): Promise<string> {
  await mkdir(path.dirname(outPath), { recursive: true });
  await writeFile(outPath, buildDemoModel());
  return outPath;
}

/** Ultralytics' metadata_props keys, with the demo's values. */
export function demoMetadata(): Record<string, string> {
  const names = DEMO_CLASSES.map((c, i) => `${i}: '${c.name}'`).join(', ');
  return {
    description: 'detectfn demo detector: solid red, green, blue and yellow shapes',
    author: 'detectfn',
    license: 'Apache-2.0',
    stride: String(DEMO_SPEC.stride),
    task: 'detect',
    batch: '1',
    imgsz: `[${DEMO_SPEC.size}, ${DEMO_SPEC.size}]`,
    names: `{${names}}`,
    end2end: 'False',
  };
}

// The graph, YOLOv8 output layout [batch, 4 + classes, anchors]:
// 1. per-class colour masks (Greater/Less/And, all three channels in range);
// 2. run edges through every anchor, horizontally on anchor rows and vertically on anchor
//    columns (runEdges), which is the box of a rectangle or an ellipse seen from its centre;
// 3. score = eroded mask at the anchor x (min(l,r)/max(l,r)) x (min(t,b)/max(t,b)), FCOS
//    centredness squared. Squared because off-centre anchors of an ellipse see a shorter
//    chord: their score must drop below 0.25 before their box's IoU with the true box drops
//    below NMS's 0.7, or they would come out as extra detections.
const { size: S, stride, minSide } = DEMO_SPEC;
const GRID = S / stride;
const FIRST = stride / 2;

export function demoGraph(metadata: Record<string, string>): ModelSpec {
  const g = createGraphContext();
  const nc = DEMO_CLASSES.length;
  const pixels = g.op('Unsqueeze', [DEMO_SPEC.inputName, g.ints([1])]); // [B,1,3,S,S]
  const bound = (key: 'min' | 'max') => g.floats([1, nc, 3, 1, 1], DEMO_CLASSES.flatMap((c) => c[key]));
  const inRange = g.op('And', [g.op('Greater', [pixels, bound('min')]), g.op('Less', [pixels, bound('max')])]);
  const mask = g.op('ReduceMin', [g.op('Cast', [inRange], { to: 1 })], { axes: [2], keepdims: 0 }); // [B,nc,S,S]

  // Erode with a minSide window, evaluated only at anchors: MaxPool of the inverse mask. The
  // window must be centred on the anchor pixel, which needs stride / 2 === floor(minSide / 2).
  if (FIRST - Math.floor(minSide / 2) !== 0) throw new Error('demo spec: erosion window must start at the cell start');
  const notMask = g.op('Sub', [g.floats([], [1]), mask]);
  const padEnd = FIRST + Math.floor(minSide / 2) - stride + 1;
  const eroded = g.op('MaxPool', [notMask], { kernel_shape: [minSide, minSide], strides: [stride, stride], pads: [0, 0, padEnd, padEnd] });
  const atAnchor = g.op('Sub', [g.floats([], [1]), eroded]); // [B,nc,G,G]

  const every = (t: string, axis: number) => g.op('Slice', [t, g.ints([FIRST]), g.ints([S]), g.ints([axis]), g.ints([stride])]);
  const h = runEdges(g, every(mask, 2), 3, S); // [B,nc,G,S]
  const v = runEdges(g, every(mask, 3), 2, S); // [B,nc,S,G]
  const x1 = every(h.start, 3), x2 = every(h.end, 3), y1 = every(v.start, 2), y2 = every(v.end, 2);

  const centres = Array.from({ length: GRID }, (_, i) => FIRST + i * stride + 0.5);
  const ax = g.floats([1, 1, 1, GRID], centres), ay = g.floats([1, 1, GRID, 1], centres);
  const ratio = (a: string, b: string) => g.op('Div', [g.op('Min', [a, b]), g.op('Max', [a, b])]);
  const rx = ratio(g.op('Sub', [ax, x1]), g.op('Sub', [x2, ax]));
  const ry = ratio(g.op('Sub', [ay, y1]), g.op('Sub', [y2, ay]));
  const scores = g.op('Mul', [atAnchor, g.op('Mul', [rx, ry])]);

  // Class masks are disjoint, so summing mask x edge over classes picks the anchor's own class.
  const pick = (t: string) => g.op('ReduceSum', [g.op('Mul', [atAnchor, t]), g.ints([1])], { keepdims: 1 });
  const [px1, px2, py1, py2] = [x1, x2, y1, y2].map(pick) as [string, string, string, string];
  const half = g.floats([], [0.5]);
  const boxes = g.op('Concat', [
    g.op('Mul', [g.op('Add', [px1, px2]), half]),
    g.op('Mul', [g.op('Add', [py1, py2]), half]),
    g.op('Sub', [px2, px1]),
    g.op('Sub', [py2, py1]),
  ], { axis: 1 });
  const all = g.op('Concat', [boxes, scores], { axis: 1 });
  g.op('Reshape', [all, g.ints([0, 4 + nc, -1])], {}, DEMO_SPEC.outputName);
  return spec(g, nc, metadata);
}

function spec(g: GraphContext, nc: number, metadata: Record<string, string>): ModelSpec {
  return {
    name: 'detectfn-demo',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [valueInfo(DEMO_SPEC.inputName, 'float32', ['batch', 3, S, S])],
    outputs: [valueInfo(DEMO_SPEC.outputName, 'float32', ['batch', 4 + nc, GRID * GRID])],
    opset: DEMO_SPEC.opset,
    producer: 'detectfn',
    docString: 'Finds solid red, green, blue and yellow shapes; generated by models/demo/build-demo-model.ts',
    metadata,
  };
}

// Run extents: for every pixel of a 0/1 mask, the edges of the run of mask pixels through it
// along one axis, with standard ONNX ops only. A mask pixel at x gets value x + BIG, any other
// pixel x; the first non-mask position at or after x is then a suffix minimum, which doubling
// shifts (Slice + Pad + Min, ceil(log2(size + 1)) steps) compute without loops or custom ops.
// The image border counts as non-mask (pad value `size` on the right, -1 on the left).
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

// Writing a graph as ordinary function calls: the context collects nodes and constants and
// names values sequentially, so the same calls always give the same (deterministic) model
// bytes. models/classify builds the test classifiers with it too.
export interface GraphContext {
  readonly nodes: NodeSpec[];
  readonly initializers: TensorSpec[];
  /** Adds one node with a single output and returns that output's name. */
  op(opType: string, inputs: string[], attrs?: Record<string, AttrValue>, output?: string): string;
  /** A float32 constant (scalar when dims is []). */
  floats(dims: number[], values: ArrayLike<number>): string;
  /** An int64 constant, for shapes, axes, pads and slice bounds. */
  ints(values: number[]): string;
}

export function createGraphContext(): GraphContext {
  const nodes: NodeSpec[] = [];
  const initializers: TensorSpec[] = [];
  let counter = 0;
  const constant = (dtype: 'float32' | 'int64', dims: number[], values: ArrayLike<number>): string => {
    const name = `c${initializers.length}`;
    initializers.push(initializer(name, dtype, dims, values));
    return name;
  };
  return {
    nodes,
    initializers,
    op(opType, inputs, attrs = {}, output) {
      const name = output ?? `${opType.toLowerCase()}_${counter++}`;
      nodes.push(node(opType, inputs, [name], attrs));
      return name;
    },
    floats: (dims, values) => constant('float32', dims, values),
    ints: (values) => constant('int64', [values.length], values),
  };
}

// Test images: solid shapes painted into a planar RGB float tensor ([3, H, W], values 0..1),
// the demo model's input layout, for tests and benchmarks. A pixel belongs to an ellipse when
// its centre (x + 0.5, y + 0.5) is inside, so a shape's expected box is exactly its geometric
// extent.
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
