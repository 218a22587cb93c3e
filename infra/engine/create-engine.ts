/**
 * @module infra/engine/create-engine
 * `createEngine`: the Engine port on onnxruntime-node, sessions only inside worker threads.
 * The first worker walks the provider preference list (our fallback; ORT has none) and the
 * others start directly on the provider it settled on, so a missing CUDA is probed once.
 */
import { DetectError } from '../../core/errors/index.js';
import type { WorkerInit } from './protocol.js';
import { resolveEngineOptions, workerInit } from './options.js';
import { createPool } from './pool.js';
import type { EngineOptions, WorkerEngine } from './types.js';
import { spawnWorker, type ReadyInfo, type WorkerEvents } from './worker-client.js';
import { resolveWorkerScript } from './worker-script.js';

export async function createEngine(options: EngineOptions): Promise<WorkerEngine> {
  const o = resolveEngineOptions(options);
  const { logger } = o;
  const init = workerInit(o);
  const script = resolveWorkerScript(options.workerScript);
  // Events only reach the pool once it exists; the first worker cannot crash-report before ready.
  const events: WorkerEvents = { idle: (c) => pool.events.idle(c), crashed: (c, r) => pool.events.crashed(c, r) };
  const first = spawnWorker(script, init, events);
  let info: ReadyInfo;
  try {
    info = await first.ready;
  } catch (err) {
    const skipped = (err as { skipped?: unknown }).skipped;
    logger.error({ modelPath: o.modelPath, error: (err as Error).message, skipped }, 'engine could not start');
    throw new DetectError('ENGINE_ERROR', (err as Error).message, { cause: err, details: { skipped } });
  }
  for (const s of info.skipped) logger.warn({ provider: s.provider, reason: s.reason }, 'execution provider skipped');
  logger.info({ provider: info.provider, sessionMs: info.sessionMs, workers: o.workers }, 'engine session ready');

  const chosen: WorkerInit = { ...init, providers: [info.provider] };
  const pool = createPool({ ...o, script, init: chosen, provider: info.provider });
  pool.pool.add(first);
  const rest = Array.from({ length: o.workers - 1 }, () => spawnWorker(script, chosen, pool.events));
  try {
    for (const w of await Promise.all(rest.map(async (w) => (await w.ready, w)))) pool.pool.add(w);
  } catch (err) {
    await Promise.all([pool.pool.close(), ...rest.map((w) => w.close(o.closeTimeoutMs))]);
    throw new DetectError('ENGINE_ERROR', `engine worker failed to start: ${(err as Error).message}`, { cause: err });
  }

  return {
    provider: info.provider,
    skippedProviders: info.skipped,
    inputs: info.inputs,
    outputs: info.outputs,
    metadata: info.metadata,
    sessionMs: info.sessionMs,
    get workerCount() {
      return pool.pool.size;
    },
    get queued() {
      return pool.pool.queued;
    },
    get outputsReused() {
      return pool.pool.outputsReused;
    },
    health: () => pool.pool.health(),
    run: (feeds, runOptions) => pool.pool.run(feeds, runOptions),
    releaseOutputs: (outputs) => pool.pool.releaseOutputs(outputs),
    close: () => pool.pool.close(),
  };
}
