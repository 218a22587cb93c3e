/**
 * @module handlers/grpc/inference
 * ModelInferRequest -> the same validated KServe request and decoded inputs the REST route
 * gets, through the REST codec's own checks (checkRequest, decodeOne): BYTES images and
 * preprocessed tensors mean exactly what they mean over HTTP. Tensor data comes either from
 * `raw_input_contents` (one entry per input, in input order; FP16 only travels this way, as the
 * protocol says) or from each input's typed `contents`, never both.
 */
import type * as grpc from '@grpc/grpc-js';
import pkg from '../../package.json' with { type: 'json' };
import { DetectError } from '../../core/errors.js';
import type { Logger } from '../../infra/config.js';
import type { ModelRegistry } from '../../infra/model/registry.js';
import { checkRequest, type DecodedInput, decodeOne, elementsOf, type KsInferRequest, type KsParameters, type KsRequestInput } from '../kserve/codec.js';
import { findModel, modelNotReady, planInfer, runInfer } from '../kserve/infer.js';
import { modelConfig, modelMetadata, modelStatistics, repositoryIndex, serverMetadata } from '../kserve/triton.js';
import { type CallDeps, type CallInfo, type GrpcInferInput, type GrpcInferRequest, type GrpcInferResponse, type GrpcModelRef, type GrpcParameters, type GrpcTensorContents, unary } from './server.js';

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

// ---- model-infer ----
// ModelInfer: the REST route's steps with gRPC framing. Same lookup, plan (parameters incl.
// `timeout` in µs, the input against the model, the outputs), decoding, all-or-none admission
// through the micro-batcher, deadline and outputs; they go back as raw_output_contents in output
// order, as Triton's gRPC server answers (typed output contents are not produced, and
// `binary_data` only matters to the REST encoder).
export async function modelInfer(req: GrpcInferRequest, registry: ModelRegistry, info: CallInfo, logger: Logger): Promise<GrpcInferResponse> {
  const model = findModel(registry, req.model_name, req.model_version);
  const d = model.describe();
  const request = toKsRequest(req);
  const plan = planInfer(request, d);
  if (plan.ignored.length > 0) logger.debug({ reqId: info.reqId, model: d.name, ignored: plan.ignored }, 'kserve: unknown request parameters ignored');
  const outputs = await runInfer(model, plan, decodeGrpcInputs(request, req), info.ctx, info.arrival);
  return {
    model_name: d.name,
    model_version: d.version,
    id: req.id,
    outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: [...o.shape] })),
    raw_output_contents: outputs.map((o) => Buffer.from(o.values.buffer, o.values.byteOffset, o.values.byteLength)),
  };
}

// ---- inference-service ----
// `inference.GRPCInferenceService`: the KServe v2 methods over the same registry and the same
// metadata as the REST routes. ServerLive and ServerReady need no key (like /v2/health/*);
// the rest do when auth is on. Readiness is registry.allReady(), as /readyz. The Triton
// extensions (ModelConfig, ModelStatistics, RepositoryIndex) answer from the same functions as
// the REST routes (handlers/kserve/triton.ts), so the two cannot disagree.
export function inferenceService(registry: ModelRegistry, deps: CallDeps): grpc.UntypedServiceImplementation {
  return {
    ServerLive: unary('ServerLive', deps, () => ({ live: true }), true),
    ServerReady: unary('ServerReady', deps, () => ({ ready: registry.allReady() }), true),
    ModelReady: unary('ModelReady', deps, (r: GrpcModelRef) => ({ ready: modelNotReady(findModel(registry, r.name, r.version)) === undefined })),
    ServerMetadata: unary('ServerMetadata', deps, () => serverMetadata(pkg.version)),
    ModelMetadata: unary('ModelMetadata', deps, (r: GrpcModelRef) => {
      const { name, versions, platform, inputs, outputs } = modelMetadata(findModel(registry, r.name, r.version).describe());
      return { name, versions, platform, inputs, outputs };
    }),
    ModelInfer: unary('ModelInfer', deps, (r: GrpcInferRequest, info) => modelInfer(r, registry, info, deps.logger)),
    ModelConfig: unary('ModelConfig', deps, (r: GrpcModelRef) => {
      // version_policy is not in the gRPC message (int64 versions there); the rest maps 1:1.
      const { version_policy: _versions, ...config } = modelConfig(findModel(registry, r.name, r.version).describe());
      return { config };
    }),
    ModelStatistics: unary('ModelStatistics', deps, (r: GrpcModelRef) => {
      // An empty name asks for every model, as Triton's /v2/models/stats.
      const models = r.name ? [findModel(registry, r.name, r.version)] : registry.list();
      return { model_stats: models.map((m) => modelStatistics(m.describe(), m.stats())) };
    }),
    RepositoryIndex: unary('RepositoryIndex', deps, (r: { ready?: boolean }) => ({ models: repositoryIndex(registry.status(), r.ready === true) })),
  };
}
