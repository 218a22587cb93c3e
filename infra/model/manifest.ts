/**
 * @module infra/model/manifest
 * The model manifest: the contract between a model file and the service (what config.pbtxt is
 * to Triton). Every field but `name` and `source.uri` has a default that fits a YOLOv8 export,
 * so `{"name":"yolov8n","source":{"uri":"s3://models/yolov8n.onnx"}}` is a complete manifest;
 * models/README.md documents every field for users.
 *
 * A manifest is validated once, at start-up, and every default filled in; after that it is
 * read-only all the way down and trusted. Errors name the origin and the field path:
 * "manifest models/x.json: batching.batchSizes[1]: expected positive integer". zod does the
 * checking, with messages written to say what to write rather than which zod check failed.
 * Fields that mean something to one task only are refused on the other (a letterbox on a
 * classifier that centre-crops would be silently ignored otherwise).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DetectError } from '../../core/errors.js';
import { CROP_RESIZE_MODES, DEFAULT_LETTERBOX } from '../../core/geometry.js';

export const posInt = (max = Number.MAX_SAFE_INTEGER) =>
  z.number({ error: 'expected positive integer' }).int({ error: 'expected positive integer' })
    .min(1, { error: 'expected positive integer' }).max(max, { error: `expected integer at most ${max}` });

export const nonNegInt = (max: number) =>
  z.number({ error: `expected integer between 0 and ${max}` }).int({ error: `expected integer between 0 and ${max}` })
    .min(0, { error: `expected integer between 0 and ${max}` }).max(max, { error: `expected integer between 0 and ${max}` });

export const unitInterval = () =>
  z.number({ error: 'expected number between 0 and 1' }).min(0, { error: 'expected number between 0 and 1' })
    .max(1, { error: 'expected number between 0 and 1' });

export const positiveNumber = () =>
  z.number({ error: 'expected positive number' }).positive({ error: 'expected positive number' });

export const nonEmpty = (what = 'non-empty string') => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

export const bool = () => z.boolean({ error: 'expected true or false' });

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of ${values.join(', ')}` });

/** Three per-channel numbers (mean, std). */
export const triple = () =>
  z.tuple([z.number(), z.number(), z.number()], { error: 'expected [number, number, number]' });

/** A model URI: s3://bucket/key, file:///absolute/path, or a plain path. */
export const modelUri = () =>
  nonEmpty('s3://bucket/key, file:// URL or path').refine(
    (u) => (u.startsWith('s3://') ? /^s3:\/\/[^/]+\/.+/.test(u) : u.startsWith('file://') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)),
    { error: 'expected s3://bucket/key, file:// URL or path' },
  );

// The model manifest: the contract between a model file and the service (what config.pbtxt is
// to Triton). Every field but `name` and `source.uri` has a default that fits a YOLOv8 export,
// so `{"name":"yolov8n","source":{"uri":"s3://models/yolov8n.onnx"}}` is a complete manifest.
// Nested objects use `prefault({})`: zod 4's `default` would return `{}` unparsed, without
// the defaults of the fields inside. models/README.md documents every field for users.
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

// The parsed manifest: every default filled in, and read-only all the way down.
// A homomorphic mapped type keeps tuples as tuples (mean/std stay [number, number, number]).
type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type ModelManifest = DeepReadonly<z.output<typeof manifestSchema>>;

/** What crossCheckManifest found compatible: the labels to serve, and non-fatal notes. */
export interface CrossCheckResult {
  readonly labels: string[];
  readonly warnings: string[];
}

// A detector and a classifier share most of the manifest, but some fields mean something to
// one task only. Written on the other task they would be silently ignored (a letterbox on a
// classifier that centre-crops), so they are refused, by the field's path, before defaults
// are filled in (after that every field is present).
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

const ONLY: Readonly<Record<'detect' | 'classify', readonly (readonly [string, string])[]>> = {
  detect: [['preprocess', 'letterbox'], ['output', 'decoder'], ['thresholds', '']],
  classify: [['preprocess', 'resize'], ['preprocess', 'crop'], ['output', 'kind']],
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function taskFieldProblems(json: unknown): FieldProblem[] {
  if (!isObject(json)) return [];
  const task = json.task ?? 'detect';
  if (task !== 'detect' && task !== 'classify') return [];
  const other = task === 'detect' ? 'classify' : 'detect';
  const problems: FieldProblem[] = [];
  for (const [group, field] of ONLY[other]) {
    const parent = json[group];
    const present = field === '' ? parent !== undefined : isObject(parent) && Object.hasOwn(parent, field);
    if (present) {
      problems.push({
        path: field === '' ? group : `${group}.${field}`,
        message: `a ${other === 'detect' ? 'detector' : 'classifier'} field, but this manifest has task ${task}` +
          (task === 'detect' ? ' (set "task": "classify" for a classifier)' : ''),
      });
    }
  }
  return problems;
}

/**
 * A parsed manifest made fit to parse again (adaptManifestToModel re-parses its result): parsing
 * filled in the other task's fields with their defaults, which a second parse would refuse.
 */
export function withoutOtherTaskFields<T extends { task: 'detect' | 'classify' }>(manifest: T): T {
  const out: Record<string, unknown> = { ...manifest };
  for (const [group, field] of ONLY[manifest.task === 'detect' ? 'classify' : 'detect']) {
    if (field === '') delete out[group];
    else if (isObject(out[group])) {
      const { [field]: _dropped, ...rest } = out[group];
      out[group] = rest;
    }
  }
  return out as T;
}

// Validates a manifest once, at start-up, and fills in every default. Errors name the origin
// and the field path: "manifest models/x.json: batching.batchSizes[1]: expected positive integer".
/** `origin` (a file path or "env DETECTFN_MODELS") only appears in error messages. */
export function parseManifest(json: unknown, origin: string): ModelManifest {
  const result = manifestSchema.safeParse(json);
  const wrongTask = taskFieldProblems(json);
  if (result.success && wrongTask.length === 0) return deepFreeze(result.data);
  const issues = [
    ...(result.success ? [] : result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }))),
    ...wrongTask,
  ];
  const problems = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  throw new DetectError('CONFIG_INVALID', `manifest ${origin}: ${problems.join('; ')}`, {
    details: { origin, fields: issues.map((i) => i.path) },
  });
}

/**
 * The same manifest with a relative plain-path source resolved against `baseDir`;
 * s3:// URIs, file:// URLs and absolute paths are left as they are.
 */
export function resolveSource(manifest: ModelManifest, baseDir: string): ModelManifest {
  const uri = manifest.source.uri;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) || path.isAbsolute(uri)) return manifest;
  return deepFreeze({ ...manifest, source: { ...manifest.source, uri: path.resolve(baseDir, uri) } });
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

// Manifests from files, and the default manifest for a bare ONNX path (a YOLOv8 export).
/** Reads and validates a manifest; a relative source path is taken relative to the manifest's folder. */
export async function loadManifest(file: string): Promise<ModelManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DetectError('CONFIG_INVALID', `manifest ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DetectError('CONFIG_INVALID', `manifest ${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return resolveSource(parseManifest(json, file), path.dirname(path.resolve(file)));
}

/**
 * The manifest a model gets when it is configured by its path or URI alone: every default
 * (YOLOv8 layout, labels from the model's metadata), named after the file without extension.
 */
export function defaultManifestForOnnx(uri: string): ModelManifest {
  const base = path.posix.basename(uri.replace(/\\/g, '/')).replace(/\.onnx$/i, '');
  const name = base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'model';
  return resolveSource(parseManifest({ name, source: { uri } }, uri), process.cwd());
}
