/**
 * @module handlers/http/kserve/infer-outputs
 * One inference request's decoded inputs -> its output tensors, for both transports (REST and
 * gRPC): the model's task picks the calls (detect or classify) and the output builder; the
 * inputs, batching, deadline and admission are the same.
 */
import { MAX_TOP_K } from '../../../core/classify/index.js';
import type { ModelService, RequestContext } from '../../../infra/runtime/model-service.js';
import { withDeadline } from '../request-context.js';
import { classifyOutputs } from './classification.js';
import { buildOutputs } from './outputs.js';
import type { InferParams } from './params.js';
import { runInputs } from './run-inputs.js';
import type { DecodedInput, EncodableOutput, KsInferRequest } from './wire-types.js';

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
