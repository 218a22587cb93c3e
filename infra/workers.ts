/**
 * @module infra/workers
 * The one worker-thread mechanism of detectfn, on piscina: the engine's ONNX Runtime threads
 * (infra/engine/engine.ts) and the decoder's decode threads (infra/image/decoder.ts) are both a
 * `WorkerPool`. Piscina owns the threads, the task messages with their buffers transferred, and
 * what happens to a dead thread: its tasks are rejected and the thread is replaced (at once, or
 * on the next task for a lazy pool). What this module adds, once for both:
 * - Errors made at the call site (sharp's pattern): the stack points at the caller of run() or
 *   decode(), not at a message handler. A failure in a worker travels back as its DetectError
 *   code, message and details (a structured clone of an Error keeps only its message), a dead
 *   thread arrives as WORKER_CRASHED, a thread ended by close() as NOT_READY.
 * - Least-loaded dispatch, as a piscina load balancer: the thread with the fewest tasks in flight
 *   among those that may take one. A lazy pool starts another thread rather than double up on a
 *   busy one, up to its size.
 * - Threads that must prepare before taking tasks (`prepare`; the engine's create an ORT
 *   session), see "prepared threads" below: piscina's readiness is only "the module loaded".
 * - A close() that lets native work finish: tasks already sent settle first, then prepared
 *   threads release what they hold (terminating a thread while ORT released its session crashed
 *   the process on a loaded 2-core machine), then the threads are terminated. Every wait is
 *   bounded: a thread stuck in a native call is left to end on its own, and close() returns.
 * Settings both pools share: atomics 'disabled' (piscina's default parks an idle worker in a
 * synchronous Atomics.wait, which freezes whatever the thread does between tasks: preparing,
 * releasing, a coverage probe), threads kept once started, no timing histograms. Piscina keeps
 * an idle thread unref'd: an idle pool never keeps the process alive, one with tasks in flight
 * does (and a prepared pool does until close(): its control ports are ref'd).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, parentPort, threadId } from 'node:worker_threads';
import { move, Piscina, transferableSymbol, valueSymbol } from 'piscina';
import { DetectError, type DetectErrorOptions, type ErrorCode } from '../core/errors.js';
import type { Clock, TimerHandle } from '../core/types.js';
import { settledWithin } from './host.js';
import { backoffDelay } from './store/store.js';

// Call site errors.
export type CallSite = Error;

/** The caller's stack, taken now: the error a worker's reply turns into later points here. */
export function captureCallSite(): CallSite {
  const site = new Error('call site');
  Error.captureStackTrace(site, captureCallSite); // starts at the caller's frame
  return site;
}

export function callerError(code: ErrorCode, message: string, site: CallSite, options?: DetectErrorOptions): DetectError {
  const err = new DetectError(code, message, options);
  const frames = site.stack?.split('\n').slice(1).join('\n');
  if (frames) err.stack = `DetectError: ${message}\n${frames}`;
  return err;
}

// Buffers.
/** The ArrayBuffers under `views`, each once, to transfer (SharedArrayBuffers are shared, not moved). */
export function transferable(views: Iterable<ArrayBufferView | undefined>): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const v of views) if (v?.buffer instanceof ArrayBuffer && !list.includes(v.buffer)) list.push(v.buffer);
  return list;
}

/** `view`, or a copy of it when it does not own its whole ArrayBuffer (transferring it would detach the rest). */
export function wholeView<T extends ArrayBufferView & { slice(): T }>(view: T): T {
  if (view.buffer instanceof SharedArrayBuffer) return view;
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : view.slice();
}

/** `value` as a task result whose `transfer` buffers move to the main thread instead of being copied. */
export function moved<T>(value: T, transfer: readonly ArrayBuffer[]): T {
  if (transfer.length === 0) return value;
  return move({ [transferableSymbol]: transfer, [valueSymbol]: value } as never) as T;
}

// Worker side.
/** How a failed task comes back: what the main thread needs to rebuild the DetectError. */
interface WorkerFailure {
  readonly workerError: { readonly code: ErrorCode; readonly message: string; readonly details?: Record<string, unknown> | undefined };
}

const isFailure = (reply: unknown): reply is WorkerFailure => typeof reply === 'object' && reply !== null && 'workerError' in reply;

/** A piscina task function from `run`: its result goes back as it is, a thrown error as `toError(err)`'s code, message and details. */
export function taskFunction<T>(run: (task: T) => Promise<unknown>, toError: (err: unknown) => DetectError): (task: T) => Promise<unknown> {
  return async (task) => {
    try {
      return await run(task);
    } catch (err) {
      const e = toError(err);
      return { workerError: { code: e.code, message: e.message, details: e.details } } satisfies WorkerFailure;
    }
  };
}

/** Where a worker's module is: checked here, so a missing build fails at creation, not in a thread. */
export function existingScript(url: URL, label: string): URL {
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new Error(`${label} script ${path} does not exist (run \`npm run build\`)`);
  return url;
}

// Piscina marks a thread ready once its module has loaded, and never replaces a thread again
// after one failed while loading. A thread that must prepare (create an ORT session) and may fail
// to (the model file is gone) therefore never fails its loading: it posts a control port on its
// parentPort (piscina forwards that as the pool's 'message'), and its preparation runs over that
// port (`serveThread` on the worker side):
// - the first thread is told `first` (walk the provider list); the others wait for its answer and
//   are told `rest(answer)` (the provider it settled on), so a fallback is probed once;
// - until every thread has prepared once, any failure is the pool's failure (`up()` rejects);
// - later, a thread replacing a crashed one prepares at once; a failed preparation schedules one
//   next attempt (capped exponential backoff, equal jitter) and the failed thread retries in
//   place then, with every thread waiting to prepare (one timer for all: a crash meanwhile does
//   not jump the queue, nothing retries in a tight loop); a thread that dies while preparing
//   counts as a failure; a success resets the backoff;
// - only prepared threads take tasks (the load balancer asks);
// - close() tells each thread to release what it prepared and waits for that, then terminates.
export interface PrepareOptions<S> {
  readonly first: S;
  readonly rest: (firstAnswer: unknown) => S;
  /** Waits between attempts after a failed preparation. */
  readonly backoff: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly clock: Clock;
  /** A thread prepared; `first`: the first thread of the pool. */
  readonly onPrepared?: (answer: unknown, first: boolean) => void;
  /** A preparation failed after the pool was up, or a thread died preparing; `next`: the scheduled attempt. */
  readonly onFailed?: (message: string, next: { attempt: number; delayMs: number }) => void;
  /** A prepared thread died. */
  readonly onCrashed?: () => void;
  /** A thread's state changed: the owner looks again at what waits on it. */
  readonly onChange?: () => void;
}

export type ToThread<S> = { readonly type: 'prepare'; readonly with: S } | { readonly type: 'release' };
export type FromThread =
  | { readonly type: 'prepared'; readonly answer: unknown }
  | { readonly type: 'failed'; readonly message: string; readonly details?: Record<string, unknown> }
  | { readonly type: 'released' };
interface Hello {
  readonly preparedThread: number;
  readonly port: MessagePort;
}

/**
 * Worker side of a prepared thread: announces it, prepares when told (a thrown error is a failed
 * preparation; its `details`, a DetectError's say, go along), releases when told (after
 * `release` settles, success or not).
 */
export function serveThread<S>(hooks: { prepare(start: S): Promise<unknown>; release(): Promise<void> }): void {
  const { port1: port, port2 } = new MessageChannel();
  const send = (m: FromThread) => port.postMessage(m);
  let busy: Promise<unknown> = Promise.resolve();
  port.on('message', (m: ToThread<S>) => {
    if (m.type === 'prepare') {
      busy = hooks.prepare(m.with).then(
        (answer) => send({ type: 'prepared', answer }),
        (err: unknown) => {
          const details = (err as { details?: unknown } | null)?.details;
          send({ type: 'failed', message: err instanceof Error ? err.message : String(err), ...(typeof details === 'object' && details ? { details: details as Record<string, unknown> } : {}) });
        },
      );
    } else {
      busy = busy.then(() => hooks.release()).catch(() => {}).then(() => send({ type: 'released' }));
    }
  });
  parentPort!.postMessage({ preparedThread: threadId, port: port2 } satisfies Hello, [port2]);
}

interface Thread {
  readonly port: MessagePort;
  /** waiting: for the scheduled attempt (or the first thread's answer); preparing: told to. */
  status: 'waiting' | 'preparing' | 'prepared' | 'released';
  cancel?: () => void;
}

/** The prepared-thread bookkeeping of a pool of `size` threads named `name`; `ids()`: the threads piscina holds now. */
function preparedThreads<S>(p: PrepareOptions<S>, name: string, size: number, ids: () => number[]) {
  const schedule = createStartSchedule({ backoff: p.backoff, clock: p.clock });
  const threads = new Map<number, Thread>();
  const held: Thread[] = [];
  let firstAnswer: { value: unknown } | undefined;
  let prober: Thread | undefined;
  let up = false;
  let closed = false;
  let settleUp!: { resolve(answer: unknown): void; reject(err: Error): void };
  const upPromise = new Promise<unknown>((resolve, reject) => (settleUp = { resolve, reject }));
  upPromise.catch(() => {}); // the owner awaits it; no unhandled rejection before it does
  const closeWaiters = new Set<() => void>();

  const failUp = (message: string, details?: Record<string, unknown>) => settleUp.reject(Object.assign(new Error(message), { details }));
  const send = (t: Thread, m: ToThread<S>) => t.port.postMessage(m);
  const release = (t: Thread) => {
    t.cancel?.();
    if (t.status !== 'released') send(t, { type: 'release' });
  };
  const start = (t: Thread) => {
    t.status = 'waiting';
    if (closed) return release(t);
    if (!firstAnswer) {
      if (prober) return void held.push(t);
      prober = t;
      t.status = 'preparing';
      return send(t, { type: 'prepare', with: p.first });
    }
    const answer = firstAnswer.value;
    t.cancel = schedule.request(() => {
      t.cancel = undefined;
      t.status = 'preparing';
      send(t, { type: 'prepare', with: p.rest(answer) });
    });
  };
  const counts = (): PoolCounts => {
    let prepared = 0;
    let preparing = 0;
    const live = ids();
    for (const id of live) {
      const status = threads.get(id)?.status ?? 'preparing'; // not heard from yet: loading
      if (status === 'prepared') prepared++;
      else if (status === 'preparing') preparing++;
    }
    return { prepared, preparing, lost: size - live.length, ...schedule.state() };
  };
  const changed = () => {
    closeWaiters.forEach((f) => f());
    if (!up && !closed && counts().prepared === size) {
      up = true;
      settleUp.resolve(firstAnswer!.value);
    }
    if (!closed) p.onChange?.();
  };
  const onMessage = (t: Thread, m: FromThread) => {
    if (m.type === 'released') t.status = 'released';
    else if (m.type === 'prepared') {
      t.status = 'prepared';
      schedule.succeeded();
      const isFirst = !firstAnswer;
      if (isFirst) firstAnswer = { value: m.answer };
      p.onPrepared?.(m.answer, isFirst);
      if (isFirst) held.splice(0).forEach(start);
    } else if (!up) {
      failUp(t === prober ? m.message : `${name} worker failed to start: ${m.message}`, m.details);
    } else if (!closed) {
      p.onFailed?.(m.message, schedule.failed(m.message));
      start(t); // retries in place, at the scheduled attempt
    }
    changed();
  };
  const gone = (id: number, t: Thread) => {
    threads.delete(id);
    t.cancel?.();
    if (held.includes(t)) held.splice(held.indexOf(t), 1);
    if (closed) return changed();
    if (!up) failUp(`${name} worker exited before it was ready`);
    else if (t.status === 'prepared') p.onCrashed?.();
    else if (t.status === 'preparing') p.onFailed?.('exited while preparing', schedule.failed(`${name} worker exited while preparing`));
    changed();
  };

  return {
    accepts: (id: number) => threads.get(id)?.status === 'prepared',
    counts,
    up: () => upPromise,
    onMessage(m: unknown) {
      const hello = m as Hello | null;
      if (typeof hello?.preparedThread !== 'number') return;
      const t: Thread = { port: hello.port, status: 'waiting' };
      threads.set(hello.preparedThread, t);
      t.port.on('message', (msg: FromThread) => onMessage(t, msg));
      t.port.on('close', () => gone(hello.preparedThread, t));
      start(t);
    },
    /** An uncaught error in a thread: before the pool is up, the pool's failure. */
    threadError(err: Error) {
      if (!up) failUp(`${name} worker failed: ${err.message}`);
    },
    /** After piscina replaced a thread, or did not (one that failed while loading: the pool is smaller from then on). */
    threadGone() {
      if (!closed && !up) failUp(`${name} worker exited before it was ready`);
      changed();
    },
    /** No new preparation starts from now on (close() has begun). */
    stop() {
      closed = true;
      schedule.close();
      failUp(`${name} workers closed before they were ready`);
    },
    /** Tells every thread to release, and resolves once all have (the pool's close bounds the wait). */
    release(): Promise<void> {
      threads.forEach(release);
      return new Promise<void>((resolve) => {
        const check = () => void (ids().every((id) => threads.get(id)?.status === 'released') && resolve());
        closeWaiters.add(check);
        check();
      });
    },
    closePorts() {
      closeWaiters.clear();
      threads.forEach((t) => t.port.close());
    },
  };
}

// When a thread may prepare. At once, unless a preparation failed: then one attempt is
// scheduled, min(maxDelayMs, baseDelayMs * 2^n) with "equal jitter" (half of it fixed, half
// random: retries neither stampede nor spin), and every thread asking meanwhile waits for it.
// A success resets the backoff and lets those waiting go at once.
export interface StartSchedule {
  /** Calls `go` now, or at the scheduled attempt; returns a cancel. */
  request(go: () => void): () => void;
  /** A start failed: schedules the next attempt unless one is; which attempt failed, and the wait. */
  failed(error: string): { attempt: number; delayMs: number };
  succeeded(): void;
  state(): { lastError: string | undefined; nextAttemptInMs: number | undefined };
  /** Cancels the scheduled attempt; nothing waiting starts. */
  close(): void;
}

/** The wait after `retry` failed attempts in a row (0: the first failure): equal jitter over infra/store's capped exponential backoff. */
export function restartDelayMs(retry: number, backoff: PrepareOptions<unknown>['backoff'], random: () => number = Math.random): number {
  return backoffDelay(retry, backoff, () => 0.5 + random() / 2);
}

export function createStartSchedule(cfg: { backoff: PrepareOptions<unknown>['backoff']; clock: Clock; random?: () => number }): StartSchedule {
  const waiting = new Set<() => void>();
  let timer: TimerHandle | undefined;
  let nextAt = 0;
  let failures = 0;
  let lastError: string | undefined;
  let closed = false;
  const fire = () => {
    timer = undefined;
    const go = [...waiting];
    waiting.clear();
    go.forEach((g) => g());
  };
  return {
    request(go) {
      if (closed) return () => {};
      if (timer === undefined) return void go(), () => {};
      waiting.add(go);
      return () => void waiting.delete(go);
    },
    failed(error) {
      lastError = error;
      if (timer === undefined && !closed) {
        const delayMs = restartDelayMs(failures++, cfg.backoff, cfg.random);
        nextAt = cfg.clock.now() + delayMs;
        timer = cfg.clock.setTimeout(fire, delayMs);
      }
      return { attempt: failures, delayMs: Math.max(0, nextAt - cfg.clock.now()) };
    },
    succeeded() {
      failures = 0;
      lastError = undefined;
      if (timer === undefined) return;
      cfg.clock.clearTimeout(timer);
      fire();
    },
    state: () => ({ lastError, nextAttemptInMs: timer === undefined ? undefined : Math.max(0, nextAt - cfg.clock.now()) }),
    close() {
      closed = true;
      if (timer !== undefined) cfg.clock.clearTimeout(timer);
      timer = undefined;
      waiting.clear();
    },
  };
}

// Pool.
export interface WorkerPoolOptions<S = never> {
  /** Names the threads in errors: "decode worker crashed: ...". */
  readonly name: string;
  /** The worker module; its default export (or a promise of it) is the task function. */
  readonly script: URL;
  readonly threads: number;
  /** Tasks one thread runs at once (the decoder's are async; an engine thread runs one). */
  readonly tasksPerThread: number;
  /** Start threads as work arrives, a dead one's replacement on the next task (the decoder); else all at once, replaced at once. */
  readonly lazy: boolean;
  readonly workerData?: unknown;
  /** Threads must prepare before they take tasks (see above). */
  readonly prepare?: PrepareOptions<S>;
  /** An uncaught error of a thread with no task in flight (its replacement is on the way). */
  readonly onError?: (err: Error) => void;
}

export interface PoolCounts {
  /** Threads that may take tasks. */
  readonly prepared: number;
  /** Threads loading, or preparing now. */
  readonly preparing: number;
  /** Threads piscina will not replace (they failed while loading). */
  readonly lost: number;
  readonly lastError: string | undefined;
  readonly nextAttemptInMs: number | undefined;
}

export interface WorkerPool<T, R> {
  /**
   * Runs `task` on the least-loaded thread; `transfer` moves those buffers there. Errors are
   * DetectErrors made from `site`: the worker's own, WORKER_CRASHED, or NOT_READY once closing.
   */
  run(task: T, transfer: readonly ArrayBuffer[], site: CallSite): Promise<R>;
  /** Tasks sent and not settled yet (queued in piscina or running). */
  readonly inFlight: number;
  /** With `prepare`: resolves with the first thread's answer once every thread has prepared; rejects at a failure before that (its `details` from the thread). */
  up(): Promise<unknown>;
  counts(): PoolCounts;
  /**
   * Refuses new tasks, waits for those sent, lets prepared threads release, then terminates
   * them; all of it within about `timeoutMs`. Never rejects, always returns.
   */
  close(timeoutMs: number): Promise<void>;
}

type Balancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']>;
type PoolThread = Parameters<Balancer>[1][number];

/**
 * The accepted thread with the fewest tasks in flight, below `perThread`; null keeps the task
 * queued in piscina. A lazy pool answers null while it could start a thread and every running
 * one is busy: piscina then starts one, and the task waits for it.
 */
export function leastLoaded(perThread: number, maxThreads: number, lazy: boolean, accepts: (threadId: number) => boolean): Balancer {
  return (_task, threads: PoolThread[]) => {
    let best: PoolThread | null = null;
    for (const t of threads) {
      if (t.terminating || t.destroyed || t.currentUsage >= perThread || !accepts(t.id)) continue;
      if (best === null || t.currentUsage < best.currentUsage) best = t;
    }
    if (lazy && best !== null && best.currentUsage > 0 && threads.length < maxThreads) return null;
    return best;
  };
}

export function createWorkerPool<T, R, S = never>(o: WorkerPoolOptions<S>): WorkerPool<T, R> {
  const ids = (): number[] => pool.threads.map((w) => w.threadId);
  const prepared = o.prepare ? preparedThreads(o.prepare, o.name, o.threads, ids) : undefined;
  const pool: Piscina = new Piscina({
    filename: o.script.href,
    minThreads: o.lazy ? 0 : o.threads,
    maxThreads: o.threads,
    concurrentTasksPerWorker: o.tasksPerThread,
    idleTimeout: Infinity,
    atomics: 'disabled',
    recordTiming: false,
    workerData: o.workerData,
    loadBalancer: leastLoaded(o.tasksPerThread, o.threads, o.lazy, prepared?.accepts ?? (() => true)),
  });
  // Without a listener, piscina's 'error' (an uncaught error in an idle thread) would throw here.
  pool.on('error', (err: Error) => (prepared?.threadError(err), o.onError?.(err)));
  if (prepared) {
    pool.on('message', prepared.onMessage);
    pool.on('workerDestroy', () => queueMicrotask(prepared.threadGone));
  }
  let inFlight = 0;
  let closing: Promise<void> | undefined;
  let terminating = false;
  const settled = new Set<() => void>();

  return {
    async run(task, transfer, site) {
      if (closing) throw callerError('NOT_READY', `${o.name} workers are closed`, site);
      inFlight++;
      try {
        const reply: unknown = await pool.run(task, { transferList: transfer as ArrayBuffer[] });
        if (isFailure(reply)) throw callerError(reply.workerError.code, reply.workerError.message, site, reply.workerError.details ? { details: reply.workerError.details } : {});
        return reply as R;
      } catch (err) {
        if (err instanceof DetectError) throw err;
        // Piscina rejects a task only when its thread is gone: crashed, or terminated by close().
        if (terminating) throw callerError('NOT_READY', `${o.name} closed before the task finished`, site);
        throw callerError('WORKER_CRASHED', `${o.name} worker crashed: ${err instanceof Error ? err.message : String(err)}`, site, { cause: err });
      } finally {
        inFlight--;
        if (inFlight === 0) settled.forEach((f) => f());
      }
    },
    get inFlight() {
      return inFlight;
    },
    up: () => prepared?.up() ?? Promise.resolve(undefined),
    counts: () => prepared?.counts() ?? { prepared: ids().length, preparing: 0, lost: 0, lastError: undefined, nextAttemptInMs: undefined },
    close(timeoutMs) {
      return (closing ??= (async () => {
        prepared?.stop();
        const deadline = performance.now() + timeoutMs;
        const left = () => Math.max(0, deadline - performance.now());
        if (inFlight > 0) {
          let done!: () => void;
          await settledWithin(new Promise<void>((resolve) => settled.add((done = resolve))), left());
          settled.delete(done);
        }
        if (prepared) await settledWithin(prepared.release(), left());
        terminating = true;
        await settledWithin(pool.destroy(), left());
        prepared?.closePorts();
      })());
    },
  };
}
