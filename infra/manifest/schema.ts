/**
 * @module infra/manifest/schema
 * The model manifest: the contract between a model file and the service (what config.pbtxt is
 * to Triton). Every field but `name` and `source.uri` has a default that fits a YOLOv8 export,
 * so `{"name":"yolov8n","source":{"uri":"s3://models/yolov8n.onnx"}}` is a complete manifest.
 * Nested objects use `prefault({})`: zod 4's `default` would return `{}` unparsed, without
 * the defaults of the fields inside. models/README.md documents every field for users.
 */
import { z } from 'zod';
import { CROP_RESIZE_MODES } from '../../core/crop/index.js';
import { DEFAULT_LETTERBOX } from '../../core/letterbox/index.js';
import { bool, modelUri, nonEmpty, nonNegInt, oneOf, posInt, positiveNumber, triple, unitInterval } from './fields.js';

const dim = z.union([posInt(), nonEmpty('dimension name')], { error: 'expected positive integer or dimension name' });

const input = z.strictObject({
  name: nonEmpty().default('images'),
  // uint8 stays in the enum (the data-path work gives it a meaning: raw pixels, no normalising)
  // but is refused here until then, so a manifest the loader cannot serve fails validation.
  dtype: oneOf(['float32', 'float16', 'uint8']).default('float32').refine((d) => d !== 'uint8', {
    error: 'uint8 is not supported yet: the service feeds the model normalised float pixels (scale, mean, std), so use float32 or float16 (engine.preprocessInGraph: true rewrites such a model at load to take uint8 pixels)',
  }),
  layout: oneOf(['NCHW']).default('NCHW'),
  shape: z.array(dim, { error: 'expected array of dimensions' }).default(['batch', 3, 640, 640])
    .refine((s) => s.length === 4, { error: 'expected 4 dimensions [batch, 3, height, width] (NCHW)' })
    .refine((s) => s.length !== 4 || s[1] === 3, { error: 'expected 3 channels in dimension 1 (NCHW)' })
    .refine((s) => s.length !== 4 || (typeof s[2] === 'number' && typeof s[3] === 'number'), { error: 'expected fixed height and width' }),
  /** Values the model expects in its input tensor; checked at load against the real preprocessing. */
  range: z.tuple([z.number(), z.number()], { error: 'expected [lo, hi]' }).refine(([lo, hi]) => lo < hi, { error: 'expected lo < hi' }).optional(),
});

const letterbox = z.strictObject({
  stride: posInt(4096).default(DEFAULT_LETTERBOX.stride),
  scaleUp: bool().default(DEFAULT_LETTERBOX.scaleUp),
  auto: bool().default(DEFAULT_LETTERBOX.auto),
  center: bool().default(DEFAULT_LETTERBOX.center),
  padValue: nonNegInt(255).default(DEFAULT_LETTERBOX.padValue),
});

const preprocess = z.strictObject({
  letterbox: letterbox.prefault({}),
  scale: positiveNumber().default(1 / 255),
  mean: triple().optional(),
  std: triple().refine((s) => s.every((v) => v > 0), { error: 'expected positive numbers' }).optional(),
  channelOrder: oneOf(['rgb', 'bgr']).default('rgb'),
  // Classifiers (task "classify") only; task-fields.ts refuses them on a detector.
  resize: z.strictObject({
    mode: oneOf(CROP_RESIZE_MODES).default('shorter'),
    /** Side the resize aims at; absent: the input's shorter side (no crop on that side). */
    size: posInt(65_536).optional(),
  }).prefault({}),
  crop: z.strictObject({ padValue: nonNegInt(255).default(0) }).prefault({}),
});

const output = z.strictObject({
  names: z.array(nonEmpty(), { error: 'expected array of output names' }).min(1, { error: 'expected at least one output name' }).default(['output0']),
  // Known layouts are yolov8, yolov5 and end2end; other names are allowed for decoders registered later.
  decoder: nonEmpty().default('yolov8'),
  /** Classifiers: what the first output holds; logits get a softmax. */
  kind: oneOf(['logits', 'probabilities']).default('logits'),
});

// Off by default: DCT-domain downscaling is faster on large JPEGs but not cv2-identical.
const decode = z.strictObject({ shrinkOnLoad: bool().default(false) });

const labels = z.union([z.literal('metadata'), z.array(z.string(), { error: 'expected "metadata" or an array of class names' })], {
  error: 'expected "metadata" or an array of class names',
});

const thresholds = z.strictObject({
  conf: unitInterval().default(0.25),
  iou: unitInterval().default(0.7),
  maxDet: posInt(10_000).default(300),
  agnostic: bool().default(false),
});

const engine = z.strictObject({
  providers: z.array(oneOf(['tensorrt', 'cuda', 'webgpu', 'cpu']), { error: 'expected array of providers' })
    .min(1, { error: 'expected at least one provider' }).default(['cpu']),
  workers: posInt(64).default(1),
  /** 0 lets onnxruntime choose. */
  intraOpThreads: nonNegInt(256).default(0),
  interOpThreads: nonNegInt(256).default(0),
  graphOptimizationLevel: oneOf(['disabled', 'basic', 'extended', 'all']).default('all'),
  enableMemArena: bool().default(true),
  /** Rewrite the graph at load to take uint8 HWC pixels and normalise them itself (infra/onnx/preprocess-graph.ts). */
  preprocessInGraph: bool().default(false),
});

const batching = z.strictObject({
  batchSizes: z.array(posInt(1024), { error: 'expected array of batch sizes' }).min(1, { error: 'expected at least one batch size' })
    .default([1, 2, 4, 8]).transform((s) => [...new Set(s)].sort((a, b) => a - b)),
  maxQueueDelayUs: nonNegInt(10_000_000).default(2000),
  maxQueue: posInt().default(64),
  maxInFlight: posInt(64).default(2),
  timeoutMs: posInt().default(30_000),
});

export const manifestSchema = z.strictObject({
  name: nonEmpty().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'expected a name of letters, digits, ".", "_" and "-"' }),
  version: nonEmpty().default('1'),
  task: oneOf(['detect', 'classify']).default('detect'),
  source: z.strictObject({
    uri: modelUri(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected 64 lowercase hex digits' }).optional(),
  }, { error: 'expected an object with uri' }),
  input: input.prefault({}),
  preprocess: preprocess.prefault({}),
  decode: decode.prefault({}),
  output: output.prefault({}),
  labels: labels.default('metadata'),
  thresholds: thresholds.prefault({}),
  engine: engine.prefault({}),
  batching: batching.prefault({}),
  warmup: z.strictObject({ enabled: bool().default(true), iterations: posInt(1000).default(1) }).prefault({}),
});
