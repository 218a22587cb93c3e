/**
 * @module handlers/grpc/model-infer
 * ModelInfer: the REST route's path with gRPC framing. Same lookup, parameters (incl.
 * `timeout` in µs), decoding, all-or-none admission through the micro-batcher, deadline and
 * output building; the outputs go back as raw_output_contents in output order, as Triton's
 * gRPC server answers (typed output contents are not produced).
 */
import { inferOutputs } from '../http/kserve/infer-outputs.js';
import { findModel } from '../http/kserve/model-lookup.js';
import { inferRequestParams } from '../http/kserve/params.js';
import { withClientTimeout } from '../http/request-context.js';
import type { ModelRegistry, RequestContext } from '../../infra/runtime/model-service.js';
import { decodeGrpcInputs, toKsRequest } from './infer-request.js';
import type { GrpcInferRequest, GrpcInferResponse } from './wire-types.js';

export async function modelInfer(req: GrpcInferRequest, registry: ModelRegistry, serverCtx: RequestContext, arrival: number): Promise<GrpcInferResponse> {
  const model = findModel(registry, req.model_name, req.model_version);
  const d = model.describe();
  const request = toKsRequest(req);
  const params = inferRequestParams(request, d.defaults, d.task);
  const ctx = params.timeoutUs > 0 ? withClientTimeout(serverCtx, params.timeoutUs / 1000, arrival) : serverCtx;
  const inputs = decodeGrpcInputs(request, req);
  // `binary` only matters to the REST encoder; gRPC always answers raw bytes.
  const outputs = await inferOutputs(request, inputs, model, params, ctx, true);
  return {
    model_name: d.name,
    model_version: d.version,
    id: req.id,
    outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: [...o.shape] })),
    raw_output_contents: outputs.map((o) => Buffer.from(o.values.buffer, o.values.byteOffset, o.values.byteLength)),
  };
}
