/**
 * @module handlers/grpc/inference
 * `inference.GRPCInferenceService`: the KServe v2 gRPC methods over the same registry, the same
 * inference steps and the same metadata as the REST routes. gRPC is a framing here, not a
 * second implementation: ModelInfer maps its message to the KsInferRequest the REST codec
 * validates (handlers/kserve/codec.ts checkRequest), plans and runs it with the same
 * functions (handlers/kserve/infer.ts), and answers the outputs as raw bytes; the other methods
 * answer from handlers/kserve/triton.ts, as their REST routes do, so the two cannot disagree.
 *
 * The sections follow a call: the message types as @grpc/proto-loader hands them over, what
 * every call goes through (request id, auth, deadline, the error mapping), the request's
 * conversion, ModelInfer, and the service table.
 */
import * as grpc from '@grpc/grpc-js';
import pkg from '../../package.json' with { type: 'json' };
import { DetectError, GRPC_STATUS, toDetectError } from '../../core/errors.js';
import { elementCount } from '../../core/batch.js';
import type { Logger } from '../../infra/config.js';
import { type ModelRegistry, requestContext, withClientTimeout } from '../../infra/model/registry.js';
import type { RequestContext } from '../../infra/model/inference.js';
import { checkRequest, type DecodedInput, decodeOne, type KsInferRequest, type KsParameters, type KsRequestInput } from '../kserve/codec.js';
import { findModel, modelNotReady, planInfer, runInfer } from '../kserve/infer.js';
import { modelConfig, modelMetadata, modelStatistics, repositoryIndex, serverMetadata } from '../kserve/triton.js';
import { bearerToken, logRequestError, requestIdFrom } from '../request.js';

// ---------------------------------------------------------------------------------------------
// The grpc_service.proto messages detectfn reads and writes, as @grpc/proto-loader hands them
// over with LOADER_OPTIONS (server.ts: proto field names, int64 as number, oneofs named).
// ---------------------------------------------------------------------------------------------
/** InferParameter: one of its oneof members, named by parameter_choice. */
export interface GrpcInferParameter {
  readonly parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  readonly bool_param?: boolean;
  readonly int64_param?: number;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: number;
}
export type GrpcParameters = Readonly<Record<string, GrpcInferParameter>>;

export interface GrpcTensorContents {
  readonly bool_contents?: readonly boolean[];
  readonly int_contents?: readonly number[];
  readonly int64_contents?: readonly number[];
  readonly uint_contents?: readonly number[];
  readonly uint64_contents?: readonly number[];
  readonly fp32_contents?: readonly number[];
  readonly fp64_contents?: readonly number[];
  readonly bytes_contents?: readonly Uint8Array[];
}

export interface GrpcInferInput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly parameters?: GrpcParameters;
  readonly contents?: GrpcTensorContents | null;
}

export interface GrpcInferRequest {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters?: GrpcParameters;
  readonly inputs: readonly GrpcInferInput[];
  readonly outputs: readonly { readonly name: string; readonly parameters?: GrpcParameters }[];
  readonly raw_input_contents: readonly Uint8Array[];
}

export interface GrpcInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: { name: string; datatype: string; shape: number[] }[];
  raw_output_contents: Buffer[];
}

export interface GrpcModelRef {
  readonly name: string;
  readonly version: string;
}

// ---------------------------------------------------------------------------------------------
// Every call, like the HTTP middleware, with the rules of handlers/request.ts: a request id (the
// caller's `x-request-id` metadata when sane, else a UUID; echoed in the trailers), the
// `authorization: Bearer <key>` check, a RequestContext (the server deadline, brought forward by
// the call's `grpc-timeout`, and a signal that aborts when the call is cancelled or its deadline
// passes, so its queued work is dropped), and the one error mapping: GRPC_STATUS[code]
// (core/errors), logged with the request id as HTTP logs it.
//
// A refusal that says when to come back (QUEUE_FULL, NOT_READY, ENGINE_UNAVAILABLE: UNAVAILABLE
// with DetectError.retryAfterS) carries gRPC's standard `grpc-retry-pushback-ms` trailer, in
// milliseconds (gRFC A6): a client with a retry policy waits that long before its next attempt
// instead of its own backoff. It is the gRPC form of HTTP's Retry-After header.
// ---------------------------------------------------------------------------------------------
export const RETRY_PUSHBACK_TRAILER = 'grpc-retry-pushback-ms';

export interface CallDeps {
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  /** Throws UNAUTHORIZED unless the token is a configured key (handlers/request.ts createTokenCheck). */
  readonly checkToken: (token: string | undefined) => void;
}

export interface CallInfo {
  readonly reqId: string;
  readonly ctx: RequestContext;
  /** performance.now() when the call arrived (parameters.timeout counts from it). */
  readonly arrival: number;
}

type Call = grpc.ServerUnaryCall<unknown, unknown>;

const metaString = (call: Call, key: string) => {
  const v = call.metadata.get(key)[0];
  return typeof v === 'string' ? v : undefined;
};

function callInfo(call: Call, deps: CallDeps): CallInfo {
  const arrival = performance.now();
  const reqId = requestIdFrom(metaString(call, 'x-request-id'));
  const gone = new AbortController();
  call.on('cancelled', () => gone.abort());
  let ctx = requestContext(reqId, deps.requestTimeoutMs, gone.signal, arrival);
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() - Date.now() : deadline - Date.now();
  if (Number.isFinite(ms)) ctx = withClientTimeout(ctx, Math.max(0, ms), arrival);
  return { reqId, ctx, arrival };
}

function trailers(reqId: string, err?: DetectError): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('x-request-id', reqId);
  // A non-negative integer: a negative or unreadable value would tell the client never to retry.
  if (err?.retryAfterS !== undefined) md.set(RETRY_PUSHBACK_TRAILER, String(Math.max(0, Math.round(err.retryAfterS * 1000))));
  return md;
}

/** Logs `raw` as HTTP would and returns the status the caller gets. */
function grpcStatus(raw: unknown, call: Call, reqId: string, method: string, logger: Logger): grpc.ServerErrorResponse {
  const err = call.cancelled ? new DetectError('CANCELLED', 'client cancelled the call or its deadline passed', { cause: raw }) : toDetectError(raw);
  logRequestError(logger, { reqId, method, grpcStatus: GRPC_STATUS[err.code], code: err.code }, raw, err, call.cancelled);
  return Object.assign(new Error(err.message), { code: GRPC_STATUS[err.code], details: err.message, metadata: trailers(reqId, err) });
}

export type UnaryWork<Req, Res> = (request: Req, info: CallInfo) => Promise<Res> | Res;

/** A unary handler: request id, auth (unless `open`), context, error mapping. */
export function unary<Req, Res>(method: string, deps: CallDeps, work: UnaryWork<Req, Res>, open = false): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const info = callInfo(call as Call, deps);
    void (async () => {
      if (!open) deps.checkToken(bearerToken(metaString(call as Call, 'authorization')));
      return work(call.request, info);
    })().then(
      (res) => callback(null, res, trailers(info.reqId)),
      (err: unknown) => callback(grpcStatus(err, call as Call, info.reqId, method, deps.logger)),
    );
  };
}

// ---------------------------------------------------------------------------------------------
// The request in the KServe shape. Parameters lose their oneof wrapper (the value keeps its JS
// type, so core/options reads a bool_param, an int64_param or a string_param alike); the inputs'
// and outputs' headers go to the codec's one structural check, checkRequest. Tensor data comes
// either from `raw_input_contents` (one entry per input, in input order; FP16 only travels this
// way, as the protocol says) or from each input's typed `contents`, never both, and is decoded by
// the codec's decodeOne against the checked header: BYTES images and preprocessed tensors mean
// exactly what they mean over REST.
// ---------------------------------------------------------------------------------------------
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

const withParameters = (p: GrpcParameters | undefined) => {
  const parameters = fromGrpcParameters(p);
  return parameters ? { parameters } : {};
};

/** The request in the REST shape, through the REST codec's validation. */
export function toKsRequest(req: GrpcInferRequest): KsInferRequest {
  return checkRequest({
    ...(req.id ? { id: req.id } : {}),
    ...withParameters(req.parameters),
    inputs: req.inputs.map((i) => ({ name: i.name, shape: [...i.shape], datatype: i.datatype, ...withParameters(i.parameters) })),
    outputs: req.outputs.map((o) => ({ name: o.name, ...withParameters(o.parameters) })),
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
    const count = elementCount(shape);
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

// ---------------------------------------------------------------------------------------------
// ModelInfer: the REST route's steps with gRPC framing. Same lookup, plan (parameters incl.
// `timeout` in µs, the input against the model, the outputs), decoding, all-or-none admission
// through the micro-batcher, deadline and outputs; they go back as raw_output_contents in output
// order, as Triton's gRPC server answers (typed output contents are not produced, and
// `binary_data` only matters to the REST encoder).
// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// The service. ServerLive and ServerReady need no key (like /v2/health/*); the rest do when auth
// is on. Readiness is registry.allReady(), as /readyz. The Triton extensions (ModelConfig,
// ModelStatistics, RepositoryIndex) answer from the functions the REST routes use.
// ---------------------------------------------------------------------------------------------
export function inferenceService(registry: ModelRegistry, deps: CallDeps): grpc.UntypedServiceImplementation {
  return {
    ServerLive: unary('ServerLive', deps, () => ({ live: true }), true),
    ServerReady: unary('ServerReady', deps, () => ({ ready: registry.allReady() }), true),
    ModelReady: unary('ModelReady', deps, (r: GrpcModelRef) => ({ ready: modelNotReady(findModel(registry, r.name, r.version)) === undefined })),
    ServerMetadata: unary('ServerMetadata', deps, () => serverMetadata(pkg.version)),
    ModelMetadata: unary('ModelMetadata', deps, (r: GrpcModelRef) => {
      // The message has no `parameters`.
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
