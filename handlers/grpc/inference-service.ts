/**
 * @module handlers/grpc/inference-service
 * `inference.GRPCInferenceService`: the KServe v2 methods over the same registry and the same
 * metadata as the REST routes. ServerLive and ServerReady need no key (like /v2/health/*);
 * the rest do when auth is on. Readiness is registry.allReady(), as /readyz. The Triton
 * extensions (ModelConfig, ModelStatistics, RepositoryIndex) are defined in the .proto and
 * answered UNIMPLEMENTED until their gRPC mapping lands (issue #10 section 2).
 */
import type * as grpc from '@grpc/grpc-js';
import pkg from '../../package.json' with { type: 'json' };
import { modelMetadata, serverMetadata } from '../http/kserve/metadata.js';
import { findModel, modelNotReady } from '../http/kserve/model-lookup.js';
import type { ModelRegistry } from '../../infra/runtime/model-service.js';
import { unary, unimplemented, type CallDeps } from './call.js';
import { modelInfer } from './model-infer.js';
import type { GrpcInferRequest, GrpcModelRef } from './wire-types.js';

const LATER = 'not served over gRPC yet (issue #10 section 2)';

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
    ModelInfer: unary('ModelInfer', deps, (r: GrpcInferRequest, info) => modelInfer(r, registry, info.ctx, info.arrival)),
    ModelConfig: unimplemented('ModelConfig', LATER),
    ModelStatistics: unimplemented('ModelStatistics', LATER),
    RepositoryIndex: unimplemented('RepositoryIndex', LATER),
  };
}
