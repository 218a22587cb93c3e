/**
 * @module handlers/kserve/infer
 * One KServe v2 inference request, from a structurally valid KsInferRequest (codec.ts) to its
 * output tensors, for both transports: the REST route (rest.ts) and gRPC's ModelInfer
 * (handlers/grpc/inference.ts) call the same three steps, in this order:
 *
 * 1. findModel: the model by name and optional version.
 * 2. planInfer: everything the request asks of that model is checked here, once, before any
 *    tensor data is decoded or anything is queued: the one input's name, datatype, shape and
 *    item count; the parameters (detection options through core/options' parser, the
 *    protocol's own keys, Triton's classification extension); the outputs asked for and how
 *    each is sent. The result, an InferPlan, is typed and trusted by what follows.
 * 3. runInfer: the decoded input (decoded by the transport, against the same request) goes to
 *    the model (detect or classify, images or a preprocessed tensor; the items are admitted to
 *    the micro-batcher all or none), bounded by the request's deadline, and the results become
 *    the planned outputs.
 *
 * Booleans (`binary_data_output`, an output's `binary_data`, `sequence_start`/`sequence_end`)
 * are read by core/options' parseBoolean, the one boolean reading of every surface. The protocol
 * writes them as JSON booleans, which it reads as such; it also reads "true"/"false"/1/0, which
 * is what a gRPC client's string_param or int64_param carries, so a flag means the same
 * whichever InferParameter member a client picks. Anything else is refused naming the parameter
 * (before, a non-boolean `binary_data` was silently ignored).
 */
import { DetectError, invalidParameterError } from '../../core/errors.js';
import { type DetectOptions, MAX_TOP_K, parseBoolean, parseDetectParams } from '../../core/options.js';
import { toPaddedTensors } from '../../core/postprocess.js';
import type { TensorArray, TensorDType } from '../../core/types.js';
import { elementCount } from '../../core/batch.js';
import { type ModelRegistry, type ModelService, withClientTimeout, withDeadline } from '../../infra/model/registry.js';
import type { ClassifyResult } from '../../infra/model/classify.js';
import type { DetectResult } from '../../infra/model/detect.js';
import type { ModelDescription } from '../../infra/model/load.js';
import type { RequestContext } from '../../infra/model/inference.js';
import { BINARY_DATA, BINARY_DATA_OUTPUT, type DecodedInput, type EncodableOutput, encodeBytesElements, kserveDatatype, type KsInferRequest, type KsParameters, type KsRequestInput } from './codec.js';
import { IMAGE_INPUT, OUTPUT_NAMES } from './triton.js';

// ---------------------------------------------------------------------------------------------
// 1. The model. Both transports answer a missing name or version the same way, with the same
// messages (registry.get throws MODEL_NOT_FOUND, or NOT_READY while the model loads).
// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// 2. The plan. Request-level `parameters`: a detector's options under their wire names (conf,
// iou, max_det, max_nms, classes as "0,2,5", agnostic; core/options' one table) plus the
// protocol's keys. Other names are ignored and reported (the transports log them at debug), as
// Triton does: KServe codecs add their own (`content_type`), and refusing them would break
// those clients. Triton's classification extension (`class_count` / `classification`, on the
// request or an output) is a classifier's: a classifier answers the top N as
// "score:index:label" strings; a detector refuses it, since it would silently answer
// detections where the client expects top-N classes. A sequence request (`sequence_id` other
// than 0/"", `sequence_start`/`sequence_end` true) is refused: detectfn's models are stateless
// and it has no sequence batcher, so honouring it is impossible and ignoring it a lie.
// ---------------------------------------------------------------------------------------------
/** Most batch items one request may carry. */
export const MAX_BATCH_ITEMS = 64;

export const CLASSIFICATION_KEYS = ['classification', 'class_count'] as const;
const SEQUENCE_FLAGS = ['sequence_start', 'sequence_end'] as const;
/** Keys Triton and KServe clients may send that are not detection options. */
const PROTOCOL_NAMES: ReadonlySet<string> = new Set([BINARY_DATA_OUTPUT, 'priority', 'timeout', 'sequence_id', ...SEQUENCE_FLAGS, ...CLASSIFICATION_KEYS]);

export interface PlannedOutput {
  readonly name: string;
  /** Over REST, sent as binary data after the JSON header: the output's `binary_data`, else `binary_data_output`. @default false */
  readonly binary: boolean;
  /** A classifier under Triton's classification extension: the top N as strings, instead of every class's probability. */
  readonly classCount?: number;
}

interface PlanCommon {
  /** In the order the response lists them: the request's `outputs`, or every output of the model. */
  readonly outputs: readonly PlannedOutput[];
  /**
   * Triton's `timeout`: microseconds from arrival the client will wait; the request's deadline
   * (never later than DETECTFN_REQUEST_TIMEOUT_MS). 0: the server's deadline alone.
   */
  readonly timeoutUs: number;
  /** Parameter names that are neither options nor protocol keys: ignored. */
  readonly ignored: readonly string[];
}

/** One request, checked against its model: what runInfer trusts. */
export type InferPlan = (PlanCommon & { readonly task: 'detect'; readonly options: DetectOptions }) | (PlanCommon & { readonly task: 'classify' });

export function planInfer(request: KsInferRequest, d: ModelDescription): InferPlan {
  const parameters = request.parameters ?? {};
  if (d.task === 'detect') refuseClassification(request);
  refuseSequence(parameters);
  const timeout = parameters.timeout ?? 0;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0) throw invalidParameterError('parameters.timeout', 'integer >= 0 (microseconds)', timeout);
  const binaryDefault = parameters[BINARY_DATA_OUTPUT] === undefined ? false : parseBoolean(`parameters.${BINARY_DATA_OUTPUT}`, parameters[BINARY_DATA_OUTPUT]);
  // The detector's options, once; a classifier has none in KServe (its FP32 output is the whole
  // distribution, and the classification extension sets how many strings): all is `rest`.
  const { options, rest } = d.task === 'detect' ? parseDetectParams(parameters, d.defaults) : { options: undefined, rest: parameters };
  const ignored = Object.keys(rest).filter((name) => !PROTOCOL_NAMES.has(name));
  checkInput(request.inputs, d);
  const common = { timeoutUs: timeout, ignored };
  if (options !== undefined) return { task: 'detect', options, outputs: detectorOutputs(request, binaryDefault), ...common };
  return { task: 'classify', outputs: classifierOutputs(request, d, binaryDefault), ...common };
}

/** A detector refuses Triton's classification extension in the request's or an output's parameters, naming what it answers instead. */
export function refuseClassification(request: KsInferRequest): void {
  const where = [['parameters', request.parameters] as const, ...(request.outputs ?? []).map((o, i) => [`outputs[${i}].parameters`, o.parameters] as const)];
  for (const [at, params] of where) {
    const name = CLASSIFICATION_KEYS.find((n) => params !== undefined && Object.hasOwn(params, n));
    if (name !== undefined) {
      throw new DetectError(
        'INVALID_ARGUMENT',
        `${at}.${name}: Triton's classification extension is not supported; this model answers detections as outputs ` +
          `${OUTPUT_NAMES.join(', ')} (limit them with parameters max_det, conf, classes)`,
      );
    }
  }
}

function refuseSequence(parameters: KsParameters): void {
  const id = parameters.sequence_id;
  // Clients send sequence_id 0 or "" outside a sequence.
  const inSequence = id !== undefined && id !== 0 && id !== '' && id !== false;
  const asked = inSequence ? 'sequence_id' : SEQUENCE_FLAGS.find((name) => parameters[name] !== undefined && parseBoolean(`parameters.${name}`, parameters[name]));
  if (asked !== undefined) {
    throw new DetectError('INVALID_ARGUMENT', `parameters.${asked}: sequence batching is not supported (detectfn models are stateless); send the request without sequence_id, sequence_start and sequence_end`);
  }
}

/**
 * The one input, from its header alone: encoded images (BYTES, one per element, under `image`),
 * or a preprocessed tensor [N,3,H,W] in the model's own input name, datatype and size (not for a
 * model that normalises in its graph), with 1 to MAX_BATCH_ITEMS items either way.
 */
function checkInput(inputs: readonly KsRequestInput[], d: ModelDescription): void {
  if (inputs.length !== 1) {
    throw new DetectError('INVALID_ARGUMENT', `expected exactly one input (BYTES images or a preprocessed tensor), got ${inputs.length}`);
  }
  const input = inputs[0]!;
  if (input.name !== IMAGE_INPUT && (input.name !== d.inputName || !d.tensorInput)) {
    const images = `'${IMAGE_INPUT}' (BYTES, one encoded image per element)`;
    throw new DetectError(
      'INVALID_ARGUMENT',
      d.tensorInput
        ? `input '${input.name}' is not an input of model ${d.name}; send ${images} or '${d.inputName}' (${kserveDatatype(d.inputDtype)} [N,3,${d.inputSize.height},${d.inputSize.width}])`
        : `input '${input.name}' is not an input of model ${d.name}; send ${images}: it normalises in its graph (engine.preprocessInGraph) and takes no preprocessed tensor`,
    );
  }
  const images = input.datatype === 'BYTES';
  const count = images ? elementCount(input.shape) : (input.shape[0] ?? 0);
  if (count < 1 || count > MAX_BATCH_ITEMS) {
    throw new DetectError('INVALID_ARGUMENT', `input '${input.name}': batch of ${count} items; expected 1 to ${MAX_BATCH_ITEMS}`);
  }
  const expected = kserveDatatype(d.inputDtype);
  const want = [3, d.inputSize.height, d.inputSize.width];
  const chw = input.shape.slice(1);
  if (!images && (input.datatype !== expected || chw.length !== 3 || chw.some((v, i) => v !== want[i]))) {
    throw new DetectError('INVALID_ARGUMENT', `input '${input.name}': expected BYTES images or ${expected} [N,${want.join(',')}], got ${input.datatype} [${input.shape.join(',')}]`);
  }
}

const binaryOf = (params: KsParameters | undefined, at: string, fallback: boolean) =>
  params?.[BINARY_DATA] === undefined ? fallback : parseBoolean(`${at}.${BINARY_DATA}`, params[BINARY_DATA]);

function detectorOutputs(request: KsInferRequest, binaryDefault: boolean): PlannedOutput[] {
  if (!request.outputs?.length) return OUTPUT_NAMES.map((name) => ({ name, binary: binaryDefault }));
  return request.outputs.map((o, i) => {
    if (!(OUTPUT_NAMES as readonly string[]).includes(o.name)) {
      throw new DetectError('INVALID_ARGUMENT', `unknown output '${o.name}'; this model has ${OUTPUT_NAMES.join(', ')}`);
    }
    return { name: o.name, binary: binaryOf(o.parameters, `outputs[${i}].parameters`, binaryDefault) };
  });
}

/** The class count asked for in `params` (either key), validated against the model's classes. */
function classCountIn(params: KsParameters | undefined, at: string, classes: number): number | undefined {
  for (const key of CLASSIFICATION_KEYS) {
    const v = params?.[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > classes) throw invalidParameterError(`${at}.${key}`, `integer between 1 and ${classes} (the model's classes)`, v);
    return v;
  }
  return undefined;
}

function classifierOutputs(request: KsInferRequest, d: ModelDescription, binaryDefault: boolean): PlannedOutput[] {
  const classes = d.labels.length;
  const all = classCountIn(request.parameters, 'parameters', classes);
  const wanted = request.outputs?.length ? request.outputs : [{ name: d.outputName }];
  return wanted.map((o, i) => {
    if (o.name !== d.outputName) {
      throw new DetectError('INVALID_ARGUMENT', `unknown output '${o.name}'; classifier ${d.name} has ${d.outputName} (class scores; add parameters.classification N for Triton's top-N strings)`);
    }
    const at = `outputs[${i}].parameters`;
    const classCount = classCountIn(o.parameters, at, classes) ?? all;
    return { name: o.name, binary: binaryOf(o.parameters, at, binaryDefault), ...(classCount !== undefined ? { classCount } : {}) };
  });
}

// ---------------------------------------------------------------------------------------------
// 3. The run. The plan's task picks the model call (detect or classify) and its input form
// (images or a preprocessed tensor, boxes then in input pixels); batching, admission and the
// deadline are the same either way. A detector's results become its padded EfficientNMS
// tensors (core/postprocess); a classifier's its output tensor, FP32 [B, classes] of class
// probabilities (softmax applied where the model answers logits) or, under the classification
// extension, BYTES [B, N] of Triton's strings, best first, the score printed as C++'s
// std::to_string does (6 decimals).
// ---------------------------------------------------------------------------------------------
/** `inputs`: the request's one input, decoded (planInfer checked it against the model). */
export async function runInfer(model: ModelService, plan: InferPlan, inputs: readonly DecodedInput[], serverCtx: RequestContext, arrival: number): Promise<EncodableOutput[]> {
  const ctx = plan.timeoutUs > 0 ? withClientTimeout(serverCtx, plan.timeoutUs / 1000, arrival) : serverCtx;
  const d = model.describe();
  const input = inputs[0]!;
  const images = input.datatype === 'BYTES' ? (input.values as Uint8Array[]) : undefined;
  const tensor = { dtype: d.inputDtype as TensorDType, dims: input.shape, data: input.values as TensorArray };
  if (plan.task === 'classify') {
    // Every class, so the FP32 output holds the whole distribution and any class count can be cut from it.
    const options = { topK: Math.min(Math.max(d.labels.length, 1), MAX_TOP_K) };
    const results = await withDeadline(images ? model.classifyMany(images, options, ctx) : model.classifyTensor(tensor, options, ctx), ctx);
    return classifyOutputs(results, d, plan.outputs);
  }
  const results = await withDeadline(images ? model.detectMany(images, plan.options, ctx) : model.detectTensor(tensor, plan.options, ctx), ctx);
  return detectOutputs(results, plan.options.maxDet, plan.outputs);
}

export function detectOutputs(results: readonly DetectResult[], maxDet: number, outputs: readonly PlannedOutput[]): EncodableOutput[] {
  const padded = toPaddedTensors(results.map((r) => r.detections), maxDet);
  const b = results.length;
  const tensors: Record<string, Omit<EncodableOutput, 'binary' | 'name'>> = {
    num_dets: { datatype: 'INT32', shape: [b], values: padded.num_dets.data as Int32Array },
    det_boxes: { datatype: 'FP32', shape: [b, maxDet, 4], values: padded.boxes.data as Float32Array },
    det_scores: { datatype: 'FP32', shape: [b, maxDet], values: padded.scores.data as Float32Array },
    det_classes: { datatype: 'INT32', shape: [b, maxDet], values: padded.classes.data as Int32Array },
  };
  return outputs.map((o) => ({ name: o.name, ...tensors[o.name]!, binary: o.binary }));
}

/** Triton's "score:index:label" element. */
export const tritonClassString = (score: number, classId: number, label: string) => `${score.toFixed(6)}:${classId}:${label}`;

/** Every item's result must hold all classes, best first (runInfer asks for topK = classes). */
export function classifyOutputs(results: readonly ClassifyResult[], d: ModelDescription, outputs: readonly PlannedOutput[]): EncodableOutput[] {
  const classes = d.labels.length;
  const b = results.length;
  return outputs.map(({ name, binary, classCount }) => {
    if (classCount === undefined) {
      const values = new Float32Array(b * classes);
      results.forEach((r, item) => r.classes.forEach((c) => (values[item * classes + c.classId] = c.score)));
      return { name, datatype: 'FP32', shape: [b, classes], values, binary };
    }
    const text = results.flatMap((r) => r.classes.slice(0, classCount).map((c) => tritonClassString(c.score, c.classId, c.label)));
    const values = encodeBytesElements(text.map((t) => new TextEncoder().encode(t)));
    return { name, datatype: 'BYTES', shape: [b, classCount], values, text, binary };
  });
}
