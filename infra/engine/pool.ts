/**
 * @module infra/engine/pool
 * N engine workers behind one queue. A request goes to an idle worker or waits here (where
 * it can still be cancelled). A worker that dies fails only the job it was running; the pool
 * replaces it with a fresh worker on the provider already chosen and carries on.
 */
import { expectPixelBatch } from '../../core/batch/index.js';
import { DetectError } from '../../core/errors/index.js';
import type { ExecutionProvider, TensorMap } from '../../core/ports/index.js';
import { callerError, captureCallSite } from './caller-error.js';
import type { WorkerInit } from './protocol.js';
import { ownedTensor } from './tensor-convert.js';
import type { EngineLogger, WorkerEngineRunOptions } from './types.js';
import { spawnWorker, type Job, type WorkerClient, type WorkerEvents } from './worker-client.js';
import type { WorkerScript } from './worker-script.js';

export interface Pool {
  readonly size: number;
  readonly queued: number;
  add(client: WorkerClient): void;
  run(feeds: TensorMap, options?: WorkerEngineRunOptions): Promise<TensorMap>;
  close(): Promise<void>;
}

export interface PoolConfig {
  readonly script: WorkerScript;
  /** Init for replacement workers: the provider list is just the one already chosen. */
  readonly init: WorkerInit;
  readonly provider: ExecutionProvider;
  readonly logger: EngineLogger;
}

export function createPool(cfg: PoolConfig): { pool: Pool; events: WorkerEvents } {
  const workers: WorkerClient[] = [];
  const queue: Job[] = [];
  let replacing = 0;
  let closed = false;

  const dispatch = () => {
    for (const w of workers) {
      if (queue.length === 0) return;
      if (!w.busy) w.start(queue.shift()!);
    }
  };

  const replace = (reason: string) => {
    replacing++;
    const client = spawnWorker(cfg.script, cfg.init, events);
    client.ready.then(
      () => {
        replacing--;
        if (closed) return void client.close();
        cfg.logger.info({ provider: cfg.provider, workers: workers.length + 1 }, 'engine worker replaced');
        pool.add(client);
      },
      (err: Error) => {
        replacing--;
        cfg.logger.error({ reason, error: err.message }, 'engine worker replacement failed');
        if (workers.length === 0 && replacing === 0) {
          for (const job of queue.splice(0)) job.reject(callerError('WORKER_CRASHED', 'no engine worker is left', job.site));
        }
      },
    );
  };

  const events: WorkerEvents = {
    idle: () => dispatch(),
    crashed(client, reason) {
      const i = workers.indexOf(client);
      if (i >= 0) workers.splice(i, 1);
      cfg.logger.error({ reason, workers: workers.length }, 'engine worker crashed');
      if (!closed) replace(reason);
    },
  };

  const pool: Pool = {
    get size() {
      return workers.length;
    },
    get queued() {
      return queue.length;
    },
    add(client) {
      workers.push(client);
      dispatch();
    },
    run(feeds, options = {}) {
      const site = captureCallSite();
      if (closed) return Promise.reject(callerError('NOT_READY', 'engine is closed', site));
      const { signal, normalize, recycle } = options;
      if (signal?.aborted) return Promise.reject(callerError('CANCELLED', 'run was cancelled', site));
      // Checked here, before anything is posted: the worker trusts its input.
      try {
        for (const [name, o] of Object.entries(normalize ?? {})) expectPixelBatch(name, feeds[name], o);
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
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new DetectError('NOT_READY', 'engine is closing'));
      await Promise.all(workers.splice(0).map((w) => w.close()));
    },
  };
  return { pool, events };
}
