/**
 * @module infra/engine/options
 * Checks EngineOptions once, at createEngine, and fills in the defaults.
 */
import type { Clock, ExecutionProvider } from '../../core/ports/index.js';
import { createSystemClock } from '../clock/index.js';
import { expectInteger, expectNumber, expectOneOf, invalidParameterError } from '../../core/validate/index.js';
import { planNormalize } from '../../core/normalize/index.js';
import type { NormalizeFeeds, WorkerInit } from './protocol.js';
import { ENGINE_DEFAULTS, SILENT_LOGGER, type EngineLogger, type EngineOptions, type GraphOptimizationLevel, type RestartBackoff } from './types.js';

const PROVIDERS: readonly ExecutionProvider[] = ['tensorrt', 'cuda', 'webgpu', 'cpu'];
const LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

export interface ResolvedEngineOptions {
  readonly modelPath: string;
  readonly providers: readonly ExecutionProvider[];
  readonly workers: number;
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly graphOptimizationLevel: GraphOptimizationLevel;
  readonly enableMemArena: boolean;
  readonly allowSpinning: boolean;
  readonly allowCrashControl: boolean;
  /** Input name -> normalise options baked into the graph; empty when none. */
  readonly preprocessInGraph: NormalizeFeeds;
  readonly logger: EngineLogger;
  readonly restartBackoff: RestartBackoff;
  readonly closeTimeoutMs: number;
  readonly clock: Clock;
}

export function resolveEngineOptions(o: EngineOptions): ResolvedEngineOptions {
  if (typeof o.modelPath !== 'string' || o.modelPath === '') {
    throw invalidParameterError('modelPath', 'non-empty string', o.modelPath);
  }
  const providers = o.providers ?? ENGINE_DEFAULTS.providers;
  if (!Array.isArray(providers) || providers.length === 0) {
    throw invalidParameterError('providers', 'non-empty array of providers', providers);
  }
  providers.forEach((p, i) => expectOneOf(`providers[${i}]`, p, PROVIDERS));
  return {
    modelPath: o.modelPath,
    providers: [...providers],
    workers: expectInteger('workers', o.workers ?? ENGINE_DEFAULTS.workers, 1, 64),
    intraOpThreads: expectInteger('intraOpThreads', o.intraOpThreads ?? ENGINE_DEFAULTS.intraOpThreads, 0, 256),
    interOpThreads: expectInteger('interOpThreads', o.interOpThreads ?? ENGINE_DEFAULTS.interOpThreads, 0, 256),
    graphOptimizationLevel: expectOneOf(
      'graphOptimizationLevel',
      o.graphOptimizationLevel ?? ENGINE_DEFAULTS.graphOptimizationLevel,
      LEVELS,
    ),
    enableMemArena: o.enableMemArena ?? ENGINE_DEFAULTS.enableMemArena,
    allowSpinning: o.allowSpinning ?? ENGINE_DEFAULTS.allowSpinning,
    allowCrashControl: o.allowCrashControl ?? ENGINE_DEFAULTS.allowCrashControl,
    preprocessInGraph: resolveInGraph(o.preprocessInGraph),
    logger: o.logger ?? SILENT_LOGGER,
    restartBackoff: {
      baseDelayMs: expectNumber('restartBackoff.baseDelayMs', o.restartBackoff?.baseDelayMs ?? ENGINE_DEFAULTS.restartBackoff.baseDelayMs, 1),
      maxDelayMs: expectNumber('restartBackoff.maxDelayMs', o.restartBackoff?.maxDelayMs ?? ENGINE_DEFAULTS.restartBackoff.maxDelayMs, 1),
    },
    closeTimeoutMs: expectNumber('closeTimeoutMs', o.closeTimeoutMs ?? ENGINE_DEFAULTS.closeTimeoutMs, 0),
    clock: o.clock ?? createSystemClock(),
  };
}

/** Bad options fail here, once, not in every worker; plain copies, as they go to workers. */
function resolveInGraph(given: EngineOptions['preprocessInGraph']): NormalizeFeeds {
  if (given === undefined) return {};
  if (typeof given !== 'object' || given === null) throw invalidParameterError('preprocessInGraph', 'object of normalize options by input name', given);
  return Object.fromEntries(Object.entries(given).map(([name, o]) => (planNormalize(o), [name, { ...o }])));
}

/**
 * What a worker gets as workerData: named one by one, so that a main-thread-only option (a
 * logger, the clock: functions) can never reach structured clone by accident.
 */
export function workerInit(o: ResolvedEngineOptions): WorkerInit {
  const { modelPath, providers, intraOpThreads, interOpThreads, graphOptimizationLevel, enableMemArena, allowSpinning, allowCrashControl, preprocessInGraph } = o;
  return { modelPath, providers, intraOpThreads, interOpThreads, graphOptimizationLevel, enableMemArena, allowSpinning, allowCrashControl, preprocessInGraph };
}
