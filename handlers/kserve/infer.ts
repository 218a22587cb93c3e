/**
 * @module handlers/kserve/infer
 * One request input -> one result per batch item. BYTES: each element is an encoded image
 * (`run.images`: detectMany or classifyMany). A numeric tensor [N,C,H,W] in the model's input
 * datatype and size: each item is preprocessed already (`run.tensor`: detectTensor, boxes in
 * input pixels, or classifyTensor).
 * Either way the request's items are admitted to the batcher all or none and ride in the same
 * micro-batches.
 */
import { DetectError, invalidParameterError, isInteger } from '../../core/errors.js';
import { type DetectOptions, MAX_TOP_K, parseDetectParams } from '../../core/options.js';
import { toPaddedTensors } from '../../core/postprocess.js';
import type { Tensor, TensorDType } from '../../core/types.js';
import type { ClassifyResult, DetectResult, ModelDescription, ModelRegistry, ModelService, RequestContext } from '../../infra/model/registry.js';
import { withDeadline } from '../request.js';
import { BINARY_DATA, BINARY_DATA_OUTPUT, type DecodedInput, type EncodableOutput, encodeBytesElements, kserveDatatype, type KsInferRequest, type KsMetadataTensor, type KsParameters, type KsRequestOutput } from './codec.js';
import { IMAGE_INPUT } from './triton.js';

/** Most batch items one request may carry. */
export const MAX_BATCH_ITEMS = 64;

function inputTensor(input: DecodedInput, model: ModelService): Tensor {
  const d = model.describe();
  const expected = kserveDatatype(d.inputDtype);
  const want = [3, d.inputSize.height, d.inputSize.width];
  const [n, ...chw] = input.shape;
  if (input.datatype !== expected || chw.length !== 3 || chw.some((v, i) => v !== want[i])) {
    throw new DetectError(
      'INVALID_ARGUMENT',
      `input '${input.name}': expected BYTES images or ${expected} [N,${want.join(',')}], got ${input.datatype} [${input.shape.join(',')}]`,
    );
  }
  return { dtype: d.inputDtype as TensorDType, dims: [n!, ...want], data: input.values as Float32Array | Uint16Array };
}

/** The model calls for encoded images and for a preprocessed tensor (detect* or classify*). */
export interface InputCalls<R> {
  images(images: Uint8Array[]): Promise<R[]>;
  tensor(input: Tensor): Promise<R[]>;
}

export function runInputs<R>(inputs: readonly DecodedInput[], model: ModelService, run: InputCalls<R>): Promise<R[]> {
  if (inputs.length !== 1) {
    throw new DetectError('INVALID_ARGUMENT', `expected exactly one input (BYTES images or a preprocessed tensor), got ${inputs.length}`);
  }
  const input = inputs[0];
  const d = model.describe();
  if (input.name !== IMAGE_INPUT && (input.name !== d.inputName || !d.tensorInput)) {
    const images = `'${IMAGE_INPUT}' (BYTES, one encoded image per element)`;
    throw new DetectError(
      'INVALID_ARGUMENT',
      d.tensorInput
        ? `input '${input.name}' is not an input of model ${d.name}; send ${images} or '${d.inputName}' (${kserveDatatype(d.inputDtype)} [N,3,${d.inputSize.height},${d.inputSize.width}])`
        : `input '${input.name}' is not an input of model ${d.name}; send ${images}: it normalises in its graph (engine.preprocessInGraph) and takes no preprocessed tensor`,
    );
  }
  const count = input.datatype === 'BYTES' ? (input.values as Uint8Array[]).length : (input.shape[0] ?? 0);
  if (count < 1 || count > MAX_BATCH_ITEMS) {
    throw new DetectError('INVALID_ARGUMENT', `input '${input.name}': batch of ${count} items; expected 1 to ${MAX_BATCH_ITEMS}`);
  }
  if (input.datatype === 'BYTES') return run.images(input.values as Uint8Array[]);
  return run.tensor(inputTensor(input, model));
}

// ---- params ----
// The request-level `parameters` object: detection options under their wire names (conf,
// iou, max_det, max_nms, classes as "0,2,5", agnostic) plus the protocol's own keys. Other
// names are ignored and reported (the route logs them at debug), as Triton does: KServe codecs
// add their own (`content_type`), and refusing them would break those clients. Triton's
// classification extension (`class_count` / `classification`) is refused: it would silently
// answer detections where the client expects top-k classes; classifiers answer it
// (classification.ts). So is a request of a sequence
// (`sequence_id` other than 0/"", `sequence_start`/`sequence_end` true): detectfn's models are
// stateless and it has no sequence batcher, so honouring it is impossible and ignoring it a lie.
/** Keys Triton and KServe clients may send that are not detection options. */
const PROTOCOL_NAMES = new Set([BINARY_DATA_OUTPUT, 'priority', 'timeout', 'sequence_id', 'sequence_start', 'sequence_end', 'classification', 'class_count']);

export interface InferParams {
  readonly options: DetectOptions;
  /** Every output as binary unless an output says otherwise. @default false */
  readonly binaryDataOutput: boolean;
  /**
   * Triton's `timeout`: microseconds from arrival the client will wait; the request's deadline
   * (never later than DETECTFN_REQUEST_TIMEOUT_MS). 0 or absent: the server's deadline alone.
   */
  readonly timeoutUs: number;
  /** Parameter names that are neither detection options nor protocol keys: ignored. */
  readonly ignored: readonly string[];
}

const CLASSIFICATION = ['class_count', 'classification'];
const SEQUENCE = ['sequence_id', 'sequence_start', 'sequence_end'] as const;

/** Triton's classification extension, in the request's or an output's parameters: a 400 naming what detectfn answers instead. */
export function refuseClassification(request: KsInferRequest): void {
  const where = [['parameters', request.parameters] as const, ...(request.outputs ?? []).map((o, i) => [`outputs[${i}].parameters`, o.parameters] as const)];
  for (const [at, params] of where) {
    const name = CLASSIFICATION.find((n) => params !== undefined && Object.hasOwn(params, n));
    if (name !== undefined) {
      throw new DetectError(
        'INVALID_ARGUMENT',
        `${at}.${name}: Triton's classification extension is not supported; this model answers detections as outputs ` +
          `num_dets, det_boxes, det_scores, det_classes (limit them with parameters max_det, conf, classes)`,
      );
    }
  }
}

export function parseInferParams(parameters: KsParameters | undefined, base: DetectOptions): InferParams {
  const { options, rest } = parseDetectParams(parameters ?? {}, base);
  const ignored = Object.keys(rest).filter((name) => !PROTOCOL_NAMES.has(name));
  const flag = parameters?.[BINARY_DATA_OUTPUT];
  if (flag !== undefined && typeof flag !== 'boolean') throw invalidParameterError(BINARY_DATA_OUTPUT, 'boolean', flag);
  for (const name of SEQUENCE) {
    const v = parameters?.[name];
    if (v !== undefined && v !== 0 && v !== '' && v !== false) {
      throw new DetectError('INVALID_ARGUMENT', `parameters.${name}: sequence batching is not supported (detectfn models are stateless); send the request without sequence_id, sequence_start and sequence_end`);
    }
  }
  const timeout = parameters?.timeout ?? 0;
  if (!isInteger(timeout) || timeout < 0) throw invalidParameterError('parameters.timeout', 'integer >= 0 (microseconds)', timeout);
  return { options, binaryDataOutput: flag === true, timeoutUs: timeout, ignored };
}

/**
 * What both transports (REST and gRPC) take from an inference request: for a detector the
 * classification extension refused, then the parameters. A classifier's class count is read
 * where its outputs are built (classification.ts).
 */
export function inferRequestParams(request: KsInferRequest, base: DetectOptions, task: 'detect' | 'classify' = 'detect'): InferParams {
  if (task === 'detect') refuseClassification(request);
  return parseInferParams(request.parameters, base);
}

// ---- outputs ----
// The response tensors: detections padded to max_det by core/output (class padding -1),
// under the EfficientNMS output names TensorRT-style clients expect (num_dets INT32 [B], det_boxes FP32 [B,maxDet,4],
// det_scores FP32 [B,maxDet], det_classes INT32 [B,maxDet]). A request may ask for a subset,
// and for each output whether it comes back as binary data.
export const OUTPUT_NAMES = ['num_dets', 'det_boxes', 'det_scores', 'det_classes'] as const;

export function outputMetadata(maxDet: number): KsMetadataTensor[] {
  return [
    { name: 'num_dets', datatype: 'INT32', shape: [-1] },
    { name: 'det_boxes', datatype: 'FP32', shape: [-1, maxDet, 4] },
    { name: 'det_scores', datatype: 'FP32', shape: [-1, maxDet] },
    { name: 'det_classes', datatype: 'INT32', shape: [-1, maxDet] },
  ];
}

export function buildOutputs(
  results: readonly DetectResult[],
  maxDet: number,
  requested: readonly KsRequestOutput[] | undefined,
  binaryDefault: boolean,
): EncodableOutput[] {
  const padded = toPaddedTensors(results.map((r) => r.detections), maxDet);
  const b = results.length;
  const tensors: Record<string, Omit<EncodableOutput, 'binary' | 'name'>> = {
    num_dets: { datatype: 'INT32', shape: [b], values: padded.num_dets.data as Int32Array },
    det_boxes: { datatype: 'FP32', shape: [b, maxDet, 4], values: padded.boxes.data as Float32Array },
    det_scores: { datatype: 'FP32', shape: [b, maxDet], values: padded.scores.data as Float32Array },
    det_classes: { datatype: 'INT32', shape: [b, maxDet], values: padded.classes.data as Int32Array },
  };
  const wanted = requested && requested.length > 0 ? requested : OUTPUT_NAMES.map((name) => ({ name }) as KsRequestOutput);
  return wanted.map((o) => {
    const t = tensors[o.name];
    if (t === undefined) {
      throw new DetectError('INVALID_ARGUMENT', `unknown output '${o.name}'; this model has ${OUTPUT_NAMES.join(', ')}`);
    }
    const flag = o.parameters?.[BINARY_DATA];
    return { name: o.name, ...t, binary: typeof flag === 'boolean' ? flag : binaryDefault };
  });
}

// ---- classification ----
// A classifier's KServe outputs. By default its output tensor under the model's output name:
// FP32 [B, classes], the class probabilities (softmax applied where the model answers logits).
// With Triton's classification extension (`classification` or `class_count`: N, on the request's
// or the output's parameters) the output instead is BYTES [B, N], the top N per item as
// Triton's strings "score:index:label", best first, score printed as C++'s std::to_string
// does (6 decimals). Detectors keep refusing the extension (params.ts).
export const CLASSIFICATION_KEYS = ['classification', 'class_count'] as const;

/** The class count asked for in `params` (either key), validated against the model's classes. */
function countIn(params: KsParameters | undefined, at: string, classes: number): number | undefined {
  for (const key of CLASSIFICATION_KEYS) {
    const v = params?.[key];
    if (v === undefined) continue;
    if (!isInteger(v) || v < 1 || v > classes) throw invalidParameterError(`${at}.${key}`, `integer between 1 and ${classes} (the model's classes)`, v);
    return v;
  }
  return undefined;
}

/** Triton's "score:index:label" element. */
export const tritonClassString = (score: number, classId: number, label: string) => `${score.toFixed(6)}:${classId}:${label}`;

/** The outputs a request asked for; every item's result must hold all classes (topK = classes). */
export function classifyOutputs(results: readonly ClassifyResult[], d: ModelDescription, request: KsInferRequest, binaryDefault: boolean): EncodableOutput[] {
  const classes = d.labels.length;
  const b = results.length;
  const all = countIn(request.parameters, 'parameters', classes);
  const wanted = request.outputs && request.outputs.length > 0 ? request.outputs : [{ name: d.outputName }];
  return wanted.map((o, i) => {
    if (o.name !== d.outputName) {
      throw new DetectError('INVALID_ARGUMENT', `unknown output '${o.name}'; classifier ${d.name} has ${d.outputName} (class scores; add parameters.classification N for Triton's top-N strings)`);
    }
    const flag = o.parameters?.[BINARY_DATA];
    const binary = typeof flag === 'boolean' ? flag : binaryDefault;
    const n = countIn(o.parameters, `outputs[${i}].parameters`, classes) ?? all;
    if (n === undefined) {
      const values = new Float32Array(b * classes);
      results.forEach((r, item) => r.classes.forEach((c) => (values[item * classes + c.classId] = c.score)));
      return { name: o.name, datatype: 'FP32', shape: [b, classes], values, binary };
    }
    const text = results.flatMap((r) => r.classes.slice(0, n).map((c) => tritonClassString(c.score, c.classId, c.label)));
    const values = encodeBytesElements(text.map((t) => new TextEncoder().encode(t)));
    return { name: o.name, datatype: 'BYTES', shape: [b, n], values, text, binary };
  });
}

// ---- infer-outputs ----
// One inference request's decoded inputs -> its output tensors, for both transports (REST and
// gRPC): the model's task picks the calls (detect or classify) and the output builder; the
// inputs, batching, deadline and admission are the same.
export async function inferOutputs(
  request: KsInferRequest,
  inputs: readonly DecodedInput[],
  model: ModelService,
  params: InferParams,
  ctx: RequestContext,
  binaryDefault: boolean,
): Promise<EncodableOutput[]> {
  const d = model.describe();
  if (d.task === 'classify') {
    // Every class, so the FP32 output holds the whole distribution and any class count can be cut from it.
    const options = { topK: Math.min(Math.max(d.labels.length, 1), MAX_TOP_K) };
    const run = { images: (i: Uint8Array[]) => model.classifyMany(i, options, ctx), tensor: (t: Parameters<ModelService['classifyTensor']>[0]) => model.classifyTensor(t, options, ctx) };
    return classifyOutputs(await withDeadline(runInputs(inputs, model, run), ctx), d, request, binaryDefault);
  }
  const run = { images: (i: Uint8Array[]) => model.detectMany(i, params.options, ctx), tensor: (t: Parameters<ModelService['detectTensor']>[0]) => model.detectTensor(t, params.options, ctx) };
  return buildOutputs(await withDeadline(runInputs(inputs, model, run), ctx), params.options.maxDet, request.outputs, binaryDefault);
}

// ---- model-lookup ----
// Finding a model by name and optional version, and whether it is ready, as both KServe
// transports (REST routes and the gRPC service) answer it: same errors, same messages.
/** The model `name`; MODEL_NOT_FOUND for an unknown name or a version it does not have (empty/absent: any). */
export function findModel(registry: ModelRegistry, name: string, version?: string): ModelService {
  const model = registry.get(name);
  if (version !== undefined && version !== '' && version !== model.describe().version) {
    throw new DetectError('MODEL_NOT_FOUND', `model '${model.describe().name}' has no version '${version}'; it has ${model.describe().version}`);
  }
  return model;
}

/** NOT_READY naming the model's state and reason, or undefined when it is ready. */
export function modelNotReady(model: ModelService): DetectError | undefined {
  const health = model.health();
  if (health.state === 'ready') return undefined;
  const what = `model '${model.describe().name}' (${health.state}${health.reason ? `: ${health.reason}` : ''})`;
  return new DetectError('NOT_READY', `${what} not ready`, { retryAfterS: 1 });
}
