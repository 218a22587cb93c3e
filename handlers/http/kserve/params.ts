/**
 * @module handlers/http/kserve/params
 * The request-level `parameters` object: detection options under their wire names (conf,
 * iou, max_det, max_nms, classes as "0,2,5", agnostic) plus the protocol's own keys. Other
 * names are ignored and reported (the route logs them at debug), as Triton does: KServe codecs
 * add their own (`content_type`), and refusing them would break those clients. Triton's
 * classification extension (`class_count` / `classification`) is refused: it would silently
 * answer detections where the client expects top-k classes; classifiers answer it
 * (classification.ts). So is a request of a sequence
 * (`sequence_id` other than 0/"", `sequence_start`/`sequence_end` true): detectfn's models are
 * stateless and it has no sequence batcher, so honouring it is impossible and ignoring it a lie.
 */
import { parseDetectOptions, type DetectOptions } from '../../../core/options/index.js';
import { invalidParameterError, isInteger } from '../../../core/validate/index.js';
import { DetectError } from '../../../core/errors/index.js';
import { BINARY_DATA_OUTPUT, type KsInferRequest, type KsParameters } from './wire-types.js';

const OPTION_NAMES: Readonly<Record<string, keyof DetectOptions>> = {
  conf: 'conf',
  iou: 'iou',
  max_det: 'maxDet',
  max_nms: 'maxNms',
  classes: 'classes',
  agnostic: 'agnostic',
};

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
  const raw: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(parameters ?? {})) {
    // Own keys only: `__proto__` or `constructor` must not find Object.prototype's members.
    const field = Object.hasOwn(OPTION_NAMES, name) ? OPTION_NAMES[name] : undefined;
    if (field !== undefined) raw[field] = value;
    else if (!PROTOCOL_NAMES.has(name)) ignored.push(name);
  }
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
  return { options: parseDetectOptions(raw, base), binaryDataOutput: flag === true, timeoutUs: timeout, ignored };
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
