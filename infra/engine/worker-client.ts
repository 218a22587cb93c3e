/**
 * @module infra/engine/worker-client
 * One engine worker seen from the main thread: spawns it, waits for its session, runs one
 * job at a time, and turns an exit or uncaught error of the thread into WORKER_CRASHED for
 * the job it was running. The pool decides what to do next (replace it, dispatch more).
 * close() is bounded: a thread stuck in a native call cannot be terminated until the call
 * returns, so after `closeTimeoutMs` it is left to die on its own and its job is rejected.
 */
import { Worker } from 'node:worker_threads';
import type { TensorMap } from '../../core/types.js';
import { callerError, type CallSite } from './caller-error.js';
import { type FromWorker, type NormalizeFeeds, type ToWorker, transferList, type WorkerInit } from './engine.js';
import { settledWithin } from '../host.js';
import type { WorkerScript } from './engine.js';

export type ReadyInfo = Extract<FromWorker, { type: 'ready' }>;
export type InitFailure = Extract<FromWorker, { type: 'init-failed' }>;

export interface Job {
  readonly feeds: TensorMap;
  readonly normalize: NormalizeFeeds | undefined;
  readonly crash: boolean;
  readonly site: CallSite;
  /** `reused`: how many outputs the worker wrote into buffers given back by `reuse`. */
  resolve(outputs: TensorMap, reused?: number): void;
  reject(err: Error): void;
  /** Gets the normalised feeds' pixels back from the worker, before resolve or reject. */
  recycle(pixels: TensorMap): void;
}

export interface WorkerClient {
  /** Resolves once the session exists; rejects with the init failure or an early exit. */
  readonly ready: Promise<ReadyInfo>;
  readonly busy: boolean;
  start(job: Job): void;
  /** Hands outputs this worker produced back to it for reuse (dropped when the thread is gone). */
  reuse(outputs: TensorMap): void;
  /** Stops the thread (waiting at most `closeTimeoutMs`); a job still running is rejected with NOT_READY. */
  close(closeTimeoutMs: number): Promise<void>;
}

export interface WorkerEvents {
  /** The worker finished a job and can take the next. */
  idle(client: WorkerClient): void;
  /** The thread died after it was ready (not called for a clean close). */
  crashed(client: WorkerClient, reason: string): void;
}

/**
 * The job's pixel feeds on SharedArrayBuffers: the worker is done with them once it replied (it
 * reads them before or during the run), and they are the caller's own objects, so they are
 * handed back from here; sending them back would make a new ArrayBuffer of each per message.
 */
function sharedPixels(job: Job): TensorMap {
  const shared: TensorMap = {};
  for (const name of Object.keys(job.normalize ?? {})) {
    const t = job.feeds[name];
    if (t?.data.buffer instanceof SharedArrayBuffer) shared[name] = t;
  }
  return shared;
}

export function spawnWorker(script: WorkerScript, init: WorkerInit, events: WorkerEvents): WorkerClient {
  const worker = new Worker(script.url, { workerData: init });
  let current: Job | undefined;
  let nextId = 1;
  let closing = false;
  let isReady = false;
  let settleReady!: { resolve(r: ReadyInfo): void; reject(e: Error): void };
  const ready = new Promise<ReadyInfo>((resolve, reject) => (settleReady = { resolve, reject }));
  ready.catch(() => {}); // observed by the pool; avoid an unhandled rejection if it never looks

  const client: WorkerClient = {
    ready,
    get busy() {
      return current !== undefined;
    },
    start(job) {
      current = job;
      const normalize = job.normalize ? { normalize: job.normalize } : {};
      const msg: ToWorker = { type: 'run', id: nextId++, feeds: job.feeds, crash: job.crash, ...normalize };
      worker.postMessage(msg, transferList(job.feeds));
    },
    reuse(outputs) {
      if (dead || closing) return;
      worker.postMessage({ type: 'reuse', outputs } satisfies ToWorker, transferList(outputs));
    },
    async close(closeTimeoutMs) {
      closing = true;
      if (!dead) {
        // The thread releases its session and exits on its own: terminating it while ORT is
        // releasing races the addon's teardown (a native crash of the whole process, seen on
        // a loaded 2-core machine). terminate() is the fallback for a thread that does not exit.
        worker.postMessage({ type: 'close' } satisfies ToWorker);
        const t0 = performance.now();
        const exitedOnItsOwn = await settledWithin(exited, closeTimeoutMs);
        if (!exitedOnItsOwn) await settledWithin(worker.terminate(), Math.max(0, closeTimeoutMs - (performance.now() - t0)));
      }
      fail('engine closed'); // no-op when the exit was seen; else the job must not wait for it
    },
  };

  let dead = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const fail = (reason: string) => {
    if (dead) return; // 'error' is followed by 'exit'
    dead = true;
    const job = current;
    current = undefined;
    if (closing) job?.reject(callerError('NOT_READY', 'engine closed before the run finished', job.site));
    else job?.reject(callerError('WORKER_CRASHED', `engine worker crashed: ${reason}`, job.site));
    if (!isReady) settleReady.reject(new Error(`engine worker exited before its session was ready: ${reason}`));
    else if (!closing) events.crashed(client, reason);
  };

  worker.on('message', (msg: FromWorker) => {
    if (msg.type === 'ready') {
      isReady = true;
      settleReady.resolve(msg);
    } else if (msg.type === 'init-failed') {
      settleReady.reject(Object.assign(new Error(msg.message), { skipped: msg.skipped }));
    } else {
      const job = current;
      current = undefined;
      const back = { ...(job ? sharedPixels(job) : {}), ...msg.returned };
      if (job && Object.keys(back).length > 0) job.recycle(back);
      if (msg.type === 'result') job?.resolve(msg.outputs, msg.reused);
      else job?.reject(callerError('ENGINE_ERROR', msg.message, job.site));
      events.idle(client);
    }
  });
  worker.on('error', (err) => fail(err.message));
  worker.on('exit', (code) => fail(`exit code ${code}`));
  return client;
}
