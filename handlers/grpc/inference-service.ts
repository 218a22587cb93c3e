/**
 * @module handlers/grpc/inference-service
 * `inference.GRPCInferenceService`: the KServe v2 methods over the same registry and the same
 * metadata as the REST routes. ServerLive and ServerReady need no key (like /v2/health/*);
 * the rest do when auth is on. Readiness is registry.allReady(), as /readyz. The Triton
 * extensions (ModelConfig, ModelStatistics, RepositoryIndex) answer from the same functions as
 * the REST routes (handlers/http/kserve/triton-views.ts), so the two cannot disagree.
 */
import type * as grpc from '@grpc/grpc-js';
import pkg from '../../package.json' with { type: 'json' };
import { modelMetadata, serverMetadata } from '../http/kserve/metadata.js';
import { findModel, modelNotReady } from '../http/kserve/model-lookup.js';
import type { ModelRegistry } from '../../infra/runtime/model-service.js';
import { modelConfig, modelStatistics, repositoryIndex } from '../http/kserve/triton-views.js';
import { unary, type CallDeps } from './call.js';
import { modelInfer } from './model-infer.js';
import type { GrpcInferRequest, GrpcModelRef } from './wire-types.js';

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
