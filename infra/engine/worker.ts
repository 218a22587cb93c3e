/**
 * @module infra/engine/worker
 * Entry of an engine worker thread (bundled as dist/engine-worker.js), loaded by piscina: the
 * thread's logic is infra/engine/session.ts; its default export is the per-run function.
 */
import { workerData } from 'node:worker_threads';
import type { WorkerInit } from './engine.js';
import { startEngineThread } from './session.js';

export default startEngineThread(workerData as WorkerInit);
