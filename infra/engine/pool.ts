/**
 * @module infra/engine/pool
 * N engine workers behind one queue. A request goes to an idle worker or waits here (where
 * it can still be cancelled). A worker that dies fails only the job it was running; the pool
 * replaces it (restarts.ts: at once, then with backoff while starts fail). While no worker is
 * live and none is starting, nothing waits: queued and new runs fail fast with
 * ENGINE_UNAVAILABLE (503, Retry-After = the next restart attempt), and health() says why.
 */
import { expectPixelBatch } from '../../core/batch.js';
import { DetectError } from '../../core/errors.js';
import type { ExecutionProvider, TensorMap } from '../../core/types.js';
import { callerError, type CallSite, captureCallSite } from './caller-error.js';
import type { WorkerInit } from './engine.js';
import { expectInGraphFeeds } from './engine.js';
import { createRestarts, type RestartsState } from './restarts.js';
import { ownedTensor } from './session.js';
import type { EngineHealth, EngineLogger, WorkerEngineRunOptions } from './engine.js';
import type { ResolvedEngineOptions } from './engine.js';
import { type Job, spawnWorker, type WorkerClient, type WorkerEvents } from './worker-client.js';
import type { WorkerScript } from './engine.js';

export interface Pool {
  readonly size: number;
  readonly queued: number;
  readonly outputsReused: number;
  add(client: WorkerClient): void;
  run(feeds: TensorMap, options?: WorkerEngineRunOptions): Promise<TensorMap>;
  /** Engine.releaseOutputs: back to the worker that wrote them. */
  releaseOutputs(outputs: TensorMap): void;
  health(): EngineHealth;
  close(): Promise<void>;
}

export interface PoolConfig extends Pick<ResolvedEngineOptions, 'workers' | 'restartBackoff' | 'closeTimeoutMs' | 'clock'> {
  readonly script: WorkerScript;
  /** Init for replacement workers: the provider list is just the one already chosen. */
  readonly init: WorkerInit;
  readonly provider: ExecutionProvider;
  readonly logger: EngineLogger;
}

/** Why no worker is live, for health() and ENGINE_UNAVAILABLE. */
function unavailableReason(s: RestartsState): string {
  if (s.starting > 0) return `no live engine worker: replacement starting${s.lastError ? ` (last attempt failed: ${s.lastError})` : ''}`;
  const next = s.nextAttemptInMs === undefined ? '' : `; next attempt in ${Math.ceil(s.nextAttemptInMs / 1000)} s`;
  return `no live engine worker: replacement failed: ${s.lastError ?? 'unknown error'}${next}`;
}

export function createPool(cfg: PoolConfig): { pool: Pool; events: WorkerEvents } {
  const workers: WorkerClient[] = [];
  const queue: Job[] = [];
  let closed = false;
  let closing: Promise<void> | undefined;
  // Which worker wrote a run's outputs, so that releaseOutputs returns them to it.
  const writers = new WeakMap<TensorMap, WorkerClient>();
  let outputsReused = 0;

  const dispatch = () => {
    for (const w of workers) {
      if (queue.length === 0) return;
      if (w.busy) continue;
      const job = queue.shift()!;
      w.start({ ...job, resolve: (outputs, reused = 0) => (writers.set(outputs, w), (outputsReused += reused), job.resolve(outputs)) });
    }
  };

  const restarts = createRestarts({
    spawn: () => spawnWorker(cfg.script, cfg.init, events),
    missing: () => cfg.workers - workers.length,
    started(client) {
      cfg.logger.info({ provider: cfg.provider, workers: workers.length + 1 }, 'engine worker replaced');
      pool.add(client);
    },
    failed: () => failQueuedIfNoneLeft(),
    backoff: cfg.restartBackoff,
    closeTimeoutMs: cfg.closeTimeoutMs,
    clock: cfg.clock,
    logger: cfg.logger,
  });

  /** True when no worker is live and none is starting: nothing queued here would ever run. */
  const noneLeft = () => workers.length === 0 && restarts.state().starting === 0;
  const unavailable = (site: CallSite) => {
    const s = restarts.state();
    const retryAfterS = Math.max(1, Math.ceil((s.nextAttemptInMs ?? 0) / 1000));
    return callerError('ENGINE_UNAVAILABLE', unavailableReason(s), site, { retryAfterS });
  };
  const failQueuedIfNoneLeft = () => {
    if (closed || !noneLeft()) return;
    for (const job of queue.splice(0)) job.reject(unavailable(job.site));
  };

  const events: WorkerEvents = {
    idle: () => dispatch(),
    crashed(client, reason) {
      const i = workers.indexOf(client);
      if (i >= 0) workers.splice(i, 1);
      cfg.logger.error({ reason, workers: workers.length }, 'engine worker crashed');
      if (closed) return;
      restarts.replenish();
      failQueuedIfNoneLeft(); // a restart may be waiting on its backoff timer
    },
  };

  const pool: Pool = {
    get size() {
      return workers.length;
    },
    get queued() {
      return queue.length;
    },
    get outputsReused() {
      return outputsReused;
    },
    add(client) {
      workers.push(client);
      dispatch();
    },
    run(feeds, options = {}) {
      const site = captureCallSite();
      if (closed) return Promise.reject(callerError('NOT_READY', 'engine is closed', site));
      if (noneLeft()) return Promise.reject(unavailable(site));
      const { signal, normalize, recycle } = options;
      if (signal?.aborted) return Promise.reject(callerError('CANCELLED', 'run was cancelled', site));
      // Checked here, before anything is posted: the worker trusts its input.
      try {
        for (const [name, o] of Object.entries(normalize ?? {})) expectPixelBatch(name, feeds[name], o);
        expectInGraphFeeds(cfg.init.preprocessInGraph, normalize);
      } catch (err) {
        return Promise.reject(err);
      }
      // Transferring a view would detach the caller's whole (maybe pooled) buffer: copy those.
      const owned: TensorMap = {};
      for (const [name, t] of Object.entries(feeds)) owned[name] = ownedTensor(t);
      return new Promise<TensorMap>((resolve, reject) => {
        const onAbort = () => {
          const i = queue.indexOf(job);
          if (i < 0) return; // already running: it finishes
          queue.splice(i, 1);
          reject(callerError('CANCELLED', 'run was cancelled', site));
        };
        const done = () => signal?.removeEventListener('abort', onAbort);
        const job: Job = {
          feeds: owned,
          normalize,
          crash: options.crashWorker === true,
          site,
          resolve: (v) => (done(), resolve(v)),
          reject: (e) => (done(), reject(e)),
          recycle(pixels) {
            try {
              recycle?.(pixels);
            } catch (err) {
              cfg.logger.error({ error: (err as Error).message }, 'engine recycle callback threw');
            }
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(job);
        dispatch();
      });
    },
    releaseOutputs(outputs) {
      const w = writers.get(outputs);
      writers.delete(outputs);
      if (w && !closed && workers.includes(w)) w.reuse(outputs);
    },
    health() {
      if (closed) return { state: 'unavailable', reason: 'engine is closed' };
      if (workers.length > 0) return { state: 'ready' };
      return { state: 'unavailable', reason: unavailableReason(restarts.state()) };
    },
    close() {
      closed = true;
      // Each wait inside is bounded (closeTimeoutMs), so this finishes with dead or hung workers.
      return (closing ??= (async () => {
        for (const job of queue.splice(0)) job.reject(new DetectError('NOT_READY', 'engine is closing'));
        await Promise.all([restarts.close(), ...workers.splice(0).map((w) => w.close(cfg.closeTimeoutMs))]);
      })());
    },
  };
  return { pool, events };
}
