/**
 * A STAND-IN ModelRegistry for HTTP-shape unit tests only (handlers/http/*.test.ts): it
 * answers detect() with one fixed detection and records what it was called with, so tests can
 * check parsing, status mapping and headers without loading a model. Anything about real
 * detections is tested in test/integration/ with the real registry.
 */
import { DEFAULT_DETECT_OPTIONS, type DetectOptions } from '../../core/options.js';
import { DetectError } from '../../core/errors.js';
import type { ModelRegistry, ModelService } from '../../infra/model/registry.js';
import type { DetectResult } from '../../infra/model/detect.js';
import type { ModelDescription } from '../../infra/model/load.js';
import type { RequestContext } from '../../infra/model/inference.js';
import { loadConfig, type ServiceConfig } from '../../infra/config.js';
import { createMetrics, createModelStats } from '../../infra/metrics.js';
import { capturingLogger } from './capture-logger.js';
import type { AppDeps } from '../../handlers/http/middleware.js';

export interface DetectCall {
  readonly bytes: Uint8Array;
  readonly options: DetectOptions | undefined;
  readonly ctx: RequestContext | undefined;
}

export interface StandInRegistry extends ModelRegistry {
  readonly calls: DetectCall[];
  ready: boolean;
  /** When set, detect() rejects with it. */
  failWith: unknown;
}

export function standInRegistry(name = 'stand-in'): StandInRegistry {
  const calls: DetectCall[] = [];
  const describe = (): ModelDescription => ({
    name, version: '1', task: 'detect', outputName: 'output0', labels: ['thing'], inputSize: { width: 32, height: 32 }, inputName: 'images', inputDtype: 'float32', tensorInput: true,
    batchSizes: [1], maxQueueDelayUs: 0, maxQueue: 8, instances: 1, decoder: 'yolov8', provider: 'cpu', skippedProviders: [], warm: reg.ready, coldStart: null, defaults: DEFAULT_DETECT_OPTIONS,
  });
  const service: ModelService = {
    describe,
    stats: () => createModelStats().snapshot(),
    health: () => (reg.ready ? { state: 'ready' } : { state: 'unavailable', reason: 'stand-in set not ready' }),
    async detect(bytes, options, ctx): Promise<DetectResult> {
      calls.push({ bytes, options, ctx });
      if (reg.failWith !== undefined) throw reg.failWith;
      return {
        model: name, version: '1', image: { width: 10, height: 20 }, batchSize: 1,
        detections: [{ box: [1, 2, 3, bytes.length], score: 0.9, classId: 0, label: 'thing' }],
        timings: { decode: 1, preprocess: 2, queue: 3, infer: 4, postprocess: 5, total: 15 },
      };
    },
    detectTensor: () => Promise.reject(new Error('not used')),
    preprocess: () => Promise.reject(new Error('not used')),
    classifyMany: () => Promise.reject(new Error('not used')),
    classifyTensor: () => Promise.reject(new Error('not used')),
    detectMany: (images, options, ctx) => Promise.all(images.map((bytes) => service.detect(bytes, options, ctx))),
    close: async () => undefined,
  };
  const reg: StandInRegistry = {
    calls, ready: true, failWith: undefined,
    get(n) {
      if (n !== name) throw new DetectError('MODEL_NOT_FOUND', `unknown model ${n}; known: ${name}`);
      if (!reg.ready) throw new DetectError('NOT_READY', `model ${n} is loading`, { retryAfterS: 1 });
      return service;
    },
    names: () => [name],
    list: () => (reg.ready ? [service] : []),
    status: () => [{ name, ...(reg.ready ? { state: 'ready' as const } : { state: 'loading' as const }) }],
    allReady: () => reg.ready,
    whenReady: async () => undefined,
    drain: () => undefined,
    close: async () => undefined,
  };
  return reg;
}

export function standInDeps(env: Record<string, string> = {}): AppDeps & { registry: StandInRegistry; lines: Record<string, unknown>[]; config: ServiceConfig } {
  const { logger, lines } = capturingLogger();
  return { registry: standInRegistry(), metrics: createMetrics(), logger, config: loadConfig(env), lines };
}
