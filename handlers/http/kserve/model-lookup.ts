/**
 * @module handlers/http/kserve/model-lookup
 * Finding a model by name and optional version, and whether it is ready, as both KServe
 * transports (REST routes and the gRPC service) answer it: same errors, same messages.
 */
import { DetectError } from '../../../core/errors/index.js';
import type { ModelRegistry, ModelService } from '../../../infra/runtime/model-service.js';

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
