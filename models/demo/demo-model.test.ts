import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { yolov8Decoder } from '../../core/decode.js';
import { nms } from '../../core/postprocess.js';
import { parseUltralyticsMetadata, readModelInfo } from '../../infra/onnx/model-info.js';
import { buildDemoModel, COLORS, DEMO_ANCHORS, DEMO_CLASSES, DEMO_SPEC, drawShapes, type Shape, shapeBox } from './demo-model.js';

const S = DEMO_SPEC.size;
const RED = 0, GREEN = 1, BLUE = 2, YELLOW = 3;

// Two of the same class (red), rectangles and ellipses, several classes.
const SCENE: { shape: Shape; classId: number }[] = [
  { shape: { kind: 'rect', x1: 20, y1: 30, x2: 80, y2: 70, color: COLORS.red }, classId: RED },
  { shape: { kind: 'ellipse', cx: 200, cy: 60, rx: 30, ry: 20, color: COLORS.red }, classId: RED },
  { shape: { kind: 'ellipse', cx: 100.5, cy: 200, rx: 25, ry: 25, color: COLORS.green }, classId: GREEN },
  { shape: { kind: 'rect', x1: 181, y1: 150, x2: 263, y2: 189, color: COLORS.blue }, classId: BLUE },
  { shape: { kind: 'ellipse', cx: 262, cy: 262, rx: 18, ry: 40, color: COLORS.yellow }, classId: YELLOW },
];
const OTHER: { shape: Shape; classId: number }[] = [
  { shape: { kind: 'rect', x1: 0, y1: 0, x2: 40, y2: 320, color: COLORS.yellow }, classId: YELLOW },
  { shape: { kind: 'ellipse', cx: 160, cy: 160, rx: 60, ry: 45, color: COLORS.blue }, classId: BLUE },
];

let session: ort.InferenceSession;
beforeAll(async () => {
  session = await ort.InferenceSession.create(buildDemoModel(), { intraOpNumThreads: 1 });
});

async function detect(images: Float32Array[]): Promise<{ box: number[]; score: number; classId: number }[][]> {
  const batch = new Float32Array(images.length * 3 * S * S);
  images.forEach((img, i) => batch.set(img, i * img.length));
  const out = (await session.run({ images: new ort.Tensor('float32', batch, [images.length, 3, S, S]) })).output0!;
  expect(out.dims).toEqual([images.length, 4 + DEMO_CLASSES.length, DEMO_ANCHORS]);
  const outputs = { output0: { dtype: 'float32' as const, dims: out.dims, data: out.data as Float32Array } };
  return images.map((_, i) => {
    const c = yolov8Decoder.decode(outputs, i, { conf: 0.25 });
    const kept = nms(c, { iou: 0.7, maxDet: 300, agnostic: false, maxNms: 30000 });
    return [...kept].map((k) => ({ box: [...c.boxes.subarray(4 * k, 4 * k + 4)], score: c.scores[k]!, classId: c.classIds[k]! }));
  });
}

function expectScene(found: { box: number[]; classId: number }[], scene: typeof SCENE, tolerance = 1.5): void {
  expect(found).toHaveLength(scene.length);
  for (const { shape, classId } of scene) {
    const want = shapeBox(shape);
    const match = found.find((d) => d.box.every((v, k) => Math.abs(v - want[k]!) <= tolerance));
    expect(match, `no detection within ${tolerance} px of ${shape.kind} [${want}]: ${JSON.stringify(found)}`).toBeDefined();
    expect(match!.classId).toBe(classId);
  }
}

describe('demo model', () => {
  it('declares the YOLOv8 interface and Ultralytics metadata', () => {
    const info = readModelInfo(buildDemoModel());
    expect(info.inputs).toEqual([{ name: 'images', dtype: 'float32', shape: ['batch', 3, S, S] }]);
    expect(info.outputs).toEqual([{ name: 'output0', dtype: 'float32', shape: ['batch', 8, DEMO_ANCHORS] }]);
    expect(parseUltralyticsMetadata(info.metadata)).toMatchObject({ names: ['red', 'green', 'blue', 'yellow'], imgsz: [S, S], task: 'detect' });
  });

  it('builds the same bytes every time', () => {
    expect(Buffer.from(buildDemoModel()).equals(Buffer.from(buildDemoModel()))).toBe(true);
  });

  it('finds rectangles and ellipses of every class on white and on the letterbox grey', async () => {
    const shapes = SCENE.map((s) => s.shape);
    const [onWhite, onGrey] = await detect([drawShapes(S, COLORS.white, shapes), drawShapes(S, COLORS.padGrey, shapes)]);
    expectScene(onWhite!, SCENE);
    expectScene(onGrey!, SCENE);
  });

  it('finds nothing above 0.25 on blank images and ignores specks', async () => {
    const speck: Shape = { kind: 'rect', x1: 100, y1: 100, x2: 103, y2: 103, color: COLORS.red };
    const found = await detect([drawShapes(S, COLORS.padGrey, []), drawShapes(S, COLORS.white, [speck])]);
    expect(found).toEqual([[], []]);
  });

  it('gives per-item results in a batch of 2, equal to batch-1 runs', async () => {
    const a = drawShapes(S, COLORS.padGrey, SCENE.map((s) => s.shape));
    const b = drawShapes(S, COLORS.white, OTHER.map((s) => s.shape));
    const [inBatchA, inBatchB] = await detect([a, b]);
    expectScene(inBatchA!, SCENE);
    expectScene(inBatchB!, OTHER);
    expect(inBatchA).toEqual((await detect([a]))[0]);
    expect(inBatchB).toEqual((await detect([b]))[0]);
  });

  it('survives a JPEG round trip at quality 50 (boxes within 2 px)', async () => {
    const found = await detect([await jpegRoundTrip(drawShapes(S, COLORS.padGrey, SCENE.map((s) => s.shape)), 50)]);
    expectScene(found[0]!, SCENE, 2);
  });
});

/** Encodes a [3,S,S] 0..1 image as JPEG with sharp and decodes it back, artefacts included. */
async function jpegRoundTrip(chw: Float32Array, quality: number): Promise<Float32Array> {
  const plane = S * S;
  const hwc = Buffer.alloc(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) hwc[3 * i + c] = Math.round(chw[c * plane + i]! * 255);
  const jpeg = await sharp(hwc, { raw: { width: S, height: S, channels: 3 } }).jpeg({ quality }).toBuffer();
  const raw = await sharp(jpeg).raw().toBuffer();
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = raw[3 * i + c]! / 255;
  return out;
}
