/**
 * @module handlers/grpc/infer-request
 * ModelInferRequest -> the same validated KServe request and decoded inputs the REST route
 * gets, through the REST codec's own checks (checkRequest, decodeOne): BYTES images and
 * preprocessed tensors mean exactly what they mean over HTTP. Tensor data comes either from
 * `raw_input_contents` (one entry per input, in input order; FP16 only travels this way, as the
 * protocol says) or from each input's typed `contents`, never both.
 */
import { DetectError } from '../../core/errors/index.js';
import { elementsOf } from '../http/kserve/datatypes.js';
import { checkRequest, decodeOne } from '../http/kserve/request-codec.js';
import type { DecodedInput, KsInferRequest, KsParameters, KsRequestInput } from '../http/kserve/wire-types.js';
import type { GrpcInferInput, GrpcInferRequest, GrpcParameters, GrpcTensorContents } from './wire-types.js';

/** The typed `contents` field each numeric datatype travels in. */
const TYPED_FIELD: Readonly<Record<string, keyof GrpcTensorContents>> = { FP32: 'fp32_contents', INT32: 'int_contents', UINT8: 'uint_contents' };

export function fromGrpcParameters(p: GrpcParameters | undefined): KsParameters | undefined {
  if (p === undefined || Object.keys(p).length === 0) return undefined;
  const out: KsParameters = {};
  for (const [name, v] of Object.entries(p)) {
    const choice = v.parameter_choice;
    const value = choice === undefined ? undefined : v[choice];
    if (value === undefined) throw new DetectError('INVALID_ARGUMENT', `parameter '${name}' has no value (set bool_param, int64_param, string_param, double_param or uint64_param)`);
    out[name] = value;
  }
  return out;
}

/** The request in the REST shape, validated by the same checkRequest. */
export function toKsRequest(req: GrpcInferRequest): KsInferRequest {
  const parameters = fromGrpcParameters(req.parameters);
  return checkRequest({
    ...(req.id ? { id: req.id } : {}),
    ...(parameters ? { parameters } : {}),
    inputs: req.inputs.map((i) => ({ name: i.name, shape: [...i.shape], datatype: i.datatype, ...(i.parameters && Object.keys(i.parameters).length ? { parameters: fromGrpcParameters(i.parameters) } : {}) })),
    outputs: req.outputs.map((o) => ({ name: o.name, ...(o.parameters && Object.keys(o.parameters).length ? { parameters: fromGrpcParameters(o.parameters) } : {}) })),
  });
}

/**
 * grpc-js hands over Buffers, whose slice() is a view, not a copy: the codec's
 * `raw.slice().buffer` would then be the whole pooled ArrayBuffer. A plain Uint8Array view
 * slices (copies) as the codec expects.
 */
const plainBytes = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const hasContents = (c: GrpcTensorContents | null | undefined) => !!c && Object.values(c).some((v) => Array.isArray(v) && v.length > 0);

function fromContents(input: KsRequestInput, grpcInput: GrpcInferInput): DecodedInput {
  const { name, datatype, shape } = input;
  const contents = grpcInput.contents ?? {};
  if (datatype === 'BYTES') {
    const elements = contents.bytes_contents ?? [];
    const count = elementsOf(shape);
    if (elements.length !== count) {
      throw new DetectError('INVALID_ARGUMENT', `input '${name}': shape [${shape.join(',')}] needs ${count} elements but bytes_contents has ${elements.length}`);
    }
    return { name, datatype, shape, values: elements.map(plainBytes) };
  }
  const field = TYPED_FIELD[datatype];
  if (field === undefined) {
    throw new DetectError('INVALID_ARGUMENT', `input '${name}': ${datatype} has no typed contents field; send it in raw_input_contents`);
  }
  return decodeOne({ ...input, data: contents[field] ?? [] }, undefined);
}

export function decodeGrpcInputs(request: KsInferRequest, req: GrpcInferRequest): DecodedInput[] {
  const raw = req.raw_input_contents;
  if (raw.length === 0) return request.inputs.map((input, i) => fromContents(input, req.inputs[i]!));
  if (raw.length !== request.inputs.length) {
    throw new DetectError('INVALID_ARGUMENT', `raw_input_contents has ${raw.length} entries for ${request.inputs.length} inputs; send one per input, in input order`);
  }
  const typed = req.inputs.findIndex((i) => hasContents(i.contents));
  if (typed >= 0) throw new DetectError('INVALID_ARGUMENT', `input '${req.inputs[typed]!.name}' has contents although raw_input_contents is used; send one or the other`);
  return request.inputs.map((input, i) => decodeOne(input, plainBytes(raw[i]!)));
}
