/**
 * @module handlers/http/detect
 * The image routes: `POST /v1/models/{m}/detect`, `/classify` and `/preprocess` (the
 * inspector). Each is parse, call, shape, nothing else: body cap -> model lookup (404/503 from
 * the registry) -> the task check (WRONG_TASK naming the route to use) -> the images and the
 * parameters, parsed once (core/options' one parser) -> the model, under one deadline, the
 * request's images admitted all or none and detected together (they share micro-batches) ->
 * JSON, EfficientNMS-style padded tensors, or a JPEG with the boxes drawn.
 *
 * Images come as raw bytes, multipart parts or base64 in JSON, in request order; parameters
 * from the query string and body fields (body wins). A name that is neither an option nor
 * format/render is refused (a typo is a 400, not a silent default).
 */
import { bodyLimit } from 'hono/body-limit';
import { DetectError, expectOneOf } from '../../core/errors.js';
import { tensorToRgb } from '../../core/inspect.js';
import { CLASSIFY_PARAMETERS, type ClassifyOptions, DETECT_PARAMETERS, type DetectOptions, parseBoolean, parseClassifyParams, parseDetectParams, refuseUnknownParams } from '../../core/options.js';
import { toPaddedTensors } from '../../core/postprocess.js';
import type { Tensor } from '../../core/types.js';
import { encodeRgbPng, renderDetections } from '../../infra/image/render.js';
import { type ModelService, requestContext, withDeadline, wrongTaskError } from '../../infra/model/registry.js';
import type { ClassifyResult } from '../../infra/model/classify.js';
import type { DetectResult } from '../../infra/model/detect.js';
import { decodeBase64Image } from '../request.js';
import type { App, AppDeps } from './middleware.js';

// `POST /v1/models/:model/detect`: body cap -> model lookup (404/503 from the registry) ->
// images and parameters -> the images admitted all or none and detected together (they share
// micro-batches) under one deadline -> JSON, padded tensors, or a rendered JPEG. Parse, call,
// shape: nothing else. `POST /v1/models/:model/classify` is the same for a classifier, with
// `top_k`; each route refuses the other task's models (WRONG_TASK) naming the route to use.
const ROUTE = { detect: 'detect', classify: 'classify' } as const;

/** Refuses a model of the other task before the body is read, naming the route that serves it. */
function expectTask(model: ModelService, want: 'detect' | 'classify'): void {
  const { name, task } = model.describe();
  if (task === want) return;
  const route = `/v1/models/${name}/${ROUTE[task]}`;
  throw wrongTaskError(name, task, want, `POST ${route}`, { route });
}

/** top_k (or topK) only: any other name is a typo or a detect parameter, and refused. */
function parseClassifyRequest(fields: Record<string, unknown>): ClassifyOptions {
  const { options, rest } = parseClassifyParams(fields);
  refuseUnknownParams(rest, Object.keys(CLASSIFY_PARAMETERS));
  return options;
}

export function detectRoutes(app: App, deps: AppDeps): void {
  const { config, registry } = deps;
  const limit = imageBodyCap(config);

  app.post('/v1/models/:model/detect', limit, async (c) => {
    const ctx = requestContext(c.get('requestId'), config.DETECTFN_REQUEST_TIMEOUT_MS, c.req.raw.signal);
    const model = registry.get(c.req.param('model'));
    expectTask(model, 'detect');
    const body = await readImageBody(c.req.raw);
    const params = parseDetectRequest({ ...c.req.query(), ...body.fields }, model.describe().defaults);
    if (params.render && (body.images.length !== 1 || params.format !== 'json')) {
      throw new DetectError('INVALID_ARGUMENT', 'render=true takes exactly one image and no format', { details: { field: 'render' } });
    }
    const results = await withDeadline(model.detectMany(body.images, params.options, ctx), ctx);
    c.header('Server-Timing', serverTiming(maxTimings(results)));
    if (params.render) {
      const jpeg = await withDeadline(renderDetections(body.images[0]!, results[0]!.detections, { maxInputPixels: config.DETECTFN_MAX_INPUT_PIXELS }), ctx);
      return c.body(jpeg as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'image/jpeg' });
    }
    if (params.format === 'padded') return c.json(paddedJson(results, params.options.maxDet));
    return c.json(detectJson(results, body.list));
  });
  app.post('/v1/models/:model/classify', limit, async (c) => {
    const ctx = requestContext(c.get('requestId'), config.DETECTFN_REQUEST_TIMEOUT_MS, c.req.raw.signal);
    const model = registry.get(c.req.param('model'));
    expectTask(model, 'classify');
    const body = await readImageBody(c.req.raw);
    const options = parseClassifyRequest({ ...c.req.query(), ...body.fields });
    const results = await withDeadline(model.classifyMany(body.images, options, ctx), ctx);
    c.header('Server-Timing', serverTiming(maxTimings(results)));
    return c.json(classifyJson(results, body.list));
  });
}

// `POST /v1/models/:model/preprocess`: the inspector. Same body forms and cap as detect, one
// image; answers the exact model input for it without running the model: JSON (plan, steps in
// order, per-channel min/max/mean/std of the tensor the engine receives, timings) or, with
// `?view=png`, that tensor turned back into an 8-bit image (core/inspect tensorToRgb).
const VIEWS = ['json', 'png'];
const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function preprocessRoutes(app: App, deps: AppDeps): void {
  const { config, registry } = deps;
  app.post('/v1/models/:model/preprocess', imageBodyCap(config), async (c) => {
    const ctx = requestContext(c.get('requestId'), config.DETECTFN_REQUEST_TIMEOUT_MS, c.req.raw.signal);
    const model = registry.get(c.req.param('model'));
    const view = c.req.query('view') ?? 'json';
    if (!VIEWS.includes(view)) throw new DetectError('INVALID_ARGUMENT', `view must be json or png, got ${JSON.stringify(view)}`, { details: { field: 'view' } });
    const body = await readImageBody(c.req.raw);
    if (body.images.length !== 1) {
      throw new DetectError('INVALID_ARGUMENT', `preprocess takes exactly one image, got ${body.images.length}`, { details: { field: 'images' } });
    }
    const r = await withDeadline(model.preprocess(body.images[0]!, ctx), ctx);
    if (view === 'png') {
      const rgb = tensorToRgb(r.tensor.data, r.tensor.shape, r.inverse);
      const png = await encodeRgbPng(rgb.pixels, rgb.width, rgb.height);
      return c.body(png as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'image/png' });
    }
    const { name, dtype, shape, channels } = r.tensor;
    return c.json({
      model: r.model,
      version: r.version,
      plan: r.plan,
      steps: r.steps,
      tensor: { name, dtype, shape, channels },
      timings: { decode: round3(r.timings.decode), preprocess: round3(r.timings.preprocess) },
    });
  });
}

// Parameters: the options through core/options, plus what the route reads itself.
export const RESPONSE_FORMATS = ['json', 'padded'] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

export interface DetectParams {
  readonly options: DetectOptions;
  /** @default 'json' */
  readonly format: ResponseFormat;
  /** Answer with the image as JPEG, boxes drawn. @default false */
  readonly render: boolean;
}

/** Names detect reads besides the options (core/options' DETECT_PARAMETERS). */
const DETECT_EXTRAS = ['format', 'render'];

/** Query and body fields, parsed once; any name that is neither an option nor format/render is refused. */
export function parseDetectRequest(fields: Record<string, unknown>, base: DetectOptions): DetectParams {
  const { options, rest } = parseDetectParams(fields, base);
  refuseUnknownParams(rest, [...Object.keys(DETECT_PARAMETERS), ...DETECT_EXTRAS]);
  return {
    options,
    format: rest.format === undefined ? 'json' : expectOneOf('format', rest.format, RESPONSE_FORMATS),
    render: rest.render === undefined ? false : parseBoolean('render', rest.render),
  };
}

// The DETECTFN_MAX_BODY_BYTES cap of the image routes, as a typed 413 PAYLOAD_TOO_LARGE.
export function imageBodyCap(config: AppDeps['config']) {
  return bodyLimit({
    maxSize: config.DETECTFN_MAX_BODY_BYTES,
    onError: () => {
      throw new DetectError('PAYLOAD_TOO_LARGE', `request body exceeds ${config.DETECTFN_MAX_BODY_BYTES} bytes`, {
        details: { limit: config.DETECTFN_MAX_BODY_BYTES },
      });
    },
  });
}

// Reads the images (and any body fields) of a detect request, whatever form they came in:
// raw bytes (image/jpeg, image/png, image/webp, application/octet-stream), multipart/form-data
// (every file part is an image, in order; text parts are parameters), or JSON
// `{"image": "<base64>"}` / `{"images": ["<base64>", ...]}` (data: URLs accepted).
// The size cap is applied before this runs (hono/body-limit).
export const RAW_IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'];
/** Most images one request may carry. */
export const MAX_IMAGES_PER_REQUEST = 64;

export interface ImageBody {
  readonly images: Uint8Array[];
  /** Parameters carried in the body (JSON fields, multipart text parts). */
  readonly fields: Record<string, unknown>;
  /** True when the caller used a list form (`images` array, several multipart parts). */
  readonly list: boolean;
}

const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0]!.trim().toLowerCase();

function checkCount(images: readonly Uint8Array[]): void {
  if (images.length === 0) throw new DetectError('EMPTY_BODY', 'the request carries no image');
  if (images.length > MAX_IMAGES_PER_REQUEST) {
    throw new DetectError('INVALID_ARGUMENT', `at most ${MAX_IMAGES_PER_REQUEST} images per request, got ${images.length}`);
  }
  images.forEach((img, i) => {
    if (img.byteLength === 0) throw new DetectError('EMPTY_BODY', `image ${i} is empty`);
  });
}

async function fromMultipart(req: Request): Promise<ImageBody> {
  const form = await req.formData().catch((err: unknown) => {
    throw new DetectError('INVALID_ARGUMENT', 'malformed multipart/form-data body', { cause: err });
  });
  const images: Uint8Array[] = [];
  const fields: Record<string, unknown> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = value;
    else images.push(new Uint8Array(await value.arrayBuffer()));
  }
  checkCount(images);
  return { images, fields, list: images.length > 1 };
}

async function fromJson(req: Request): Promise<ImageBody> {
  const text = await req.text();
  if (text.trim() === '') throw new DetectError('EMPTY_BODY', 'the request body is empty');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new DetectError('INVALID_ARGUMENT', 'the JSON body does not parse', { cause: err });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DetectError('INVALID_ARGUMENT', 'the JSON body must be an object with "image" or "images"');
  }
  const { image, images, ...fields } = body as Record<string, unknown>;
  if ((image === undefined) === (images === undefined)) {
    throw new DetectError('INVALID_ARGUMENT', 'the JSON body needs exactly one of "image" (base64) or "images" (array of base64)');
  }
  if (images !== undefined && !Array.isArray(images)) {
    throw new DetectError('INVALID_ARGUMENT', '"images" must be an array of base64 strings');
  }
  const list = images !== undefined;
  const decoded = (list ? (images as unknown[]) : [image]).map((v, i) => decodeBase64Image(v, list ? `images[${i}]` : 'image'));
  checkCount(decoded);
  return { images: decoded, fields, list };
}

export async function readImageBody(req: Request): Promise<ImageBody> {
  const type = mediaType(req.headers.get('content-type') ?? undefined);
  if (type === 'multipart/form-data') return fromMultipart(req);
  if (type === 'application/json') return fromJson(req);
  if (RAW_IMAGE_TYPES.includes(type)) {
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.byteLength === 0) throw new DetectError('EMPTY_BODY', 'the request body is empty');
    return { images: [bytes], fields: {}, list: false };
  }
  if (req.body === null || req.headers.get('content-length') === '0') {
    throw new DetectError('EMPTY_BODY', 'the request body is empty');
  }
  throw new DetectError('UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Type "${type || '(none)'}": send ${[...RAW_IMAGE_TYPES, 'multipart/form-data', 'application/json'].join(', ')}`);
}

// JSON bodies and the Server-Timing header of a detect answer. One image gives
// `{model, version, image, detections, timings}`; the list form (JSON `images`, several
// multipart parts) gives `{model, version, results: [{image, detections, timings}, ...]}` in
// request order; a classifier's answer (classifyJson) has `classes` where detect has
// `detections`. Server-Timing carries the single image's stages, or for a list the largest
// value of each stage (the images run concurrently, so sums would overstate).
export const TIMING_STAGES = ['decode', 'preprocess', 'queue', 'infer', 'postprocess', 'total'] as const;
export type Timings = DetectResult['timings'];

const round2 = (ms: number): number => Math.round(ms * 100) / 100;

export function roundTimings(t: Timings): Timings {
  return Object.fromEntries(TIMING_STAGES.map((s) => [s, round2(t[s])])) as unknown as Timings;
}

export function maxTimings(results: readonly { timings: Timings }[]): Timings {
  return Object.fromEntries(TIMING_STAGES.map((s) => [s, Math.max(...results.map((r) => r.timings[s]))])) as unknown as Timings;
}

/** `decode;dur=3.1, preprocess;dur=1.2, ...` */
export function serverTiming(t: Timings): string {
  return TIMING_STAGES.map((s) => `${s};dur=${round2(t[s])}`).join(', ');
}

function item(r: DetectResult) {
  return { image: r.image, detections: r.detections, timings: roundTimings(r.timings) };
}

export function detectJson(results: readonly DetectResult[], list: boolean): object {
  const first = results[0]!;
  if (!list) return { model: first.model, version: first.version, ...item(first) };
  return { model: first.model, version: first.version, results: results.map(item) };
}

/** A classify answer, in the same single/list shapes as detect's, with `classes` for `detections`. */
export function classifyJson(results: readonly ClassifyResult[], list: boolean): object {
  const first = results[0]!;
  const one = (r: ClassifyResult) => ({ image: r.image, classes: r.classes, timings: roundTimings(r.timings) });
  if (!list) return { model: first.model, version: first.version, ...one(first) };
  return { model: first.model, version: first.version, results: results.map(one) };
}

// `format=padded`: the EfficientNMS-style tensors built by core/postprocess (num_dets [B],
// boxes [B,maxDet,4], scores [B,maxDet], classes [B,maxDet] with -1 padding), one row per
// image in request order, as JSON `{outputs: {name: {shape, dtype, data}}}`. Serialising only.
function tensorJson(t: Tensor) {
  return { shape: t.dims, dtype: t.dtype, data: Array.from(t.data as ArrayLike<number>) };
}

export function paddedJson(results: readonly DetectResult[], maxDet: number): object {
  const first = results[0]!;
  const padded = toPaddedTensors(results.map((r) => r.detections), maxDet);
  return {
    model: first.model,
    version: first.version,
    images: results.map((r) => r.image),
    outputs: Object.fromEntries(Object.entries(padded).map(([name, t]) => [name, tensorJson(t)])),
  };
}
