/**
 * @module infra/engine/worker
 * Entry of an engine worker thread (bundled as dist/engine-worker.js). Owns one ORT session:
 * creation and `session.run` block this thread, never the service's event loop. Normalises
 * pixel feeds here (worker-inputs.ts), off the main thread. Replies to each `run` with
 * transferred output buffers (and the pixel buffers back), or with the error text.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import type { InferenceSession } from 'onnxruntime-node';
import type { TensorMap } from '../../core/types.js';
import { freeNow } from '../host.js';
import { preprocessInGraph } from '../onnx/graph.js';
import { readModelInfo } from '../onnx/model-info.js';
import { type FromWorker, type ToWorker, transferList, type WorkerInit } from './engine.js';
import { createOutputBuffers, createSessionWithFallback, createWorkerInputs, fromOrtOutputs, type OutputBuffers, ProviderFallbackError, toOrtFeeds, toTensorInfo } from './session.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);
const inputs = createWorkerInputs(new Set(Object.keys(init.preprocessInGraph)));
/** Set once the session exists; undefined after a run refused pre-allocated outputs. */
let outputBuffers: OutputBuffers | undefined;

/** The model as the session loads it: the file's path, or its graph rewritten in memory (the file is never changed). */
function sessionModel(file: Uint8Array): string | Uint8Array {
  const rewrites = Object.entries(init.preprocessInGraph);
  if (rewrites.length === 0) return init.modelPath;
  return rewrites.reduce((m, [name, o]) => preprocessInGraph(m, name, o, init.modelPath), file);
}

async function start(): Promise<InferenceSession | undefined> {
  const t0 = performance.now();
  try {
    // Read once: the metadata below, and the graph rewrite when there is one.
    const file: Uint8Array = await readFile(init.modelPath);
    const { session, provider, skipped } = await createSessionWithFallback(sessionModel(file), init.providers, init);
    const sessionMs = performance.now() - t0;
    const { metadata } = readModelInfo(file, init.modelPath);
    const inputs = toTensorInfo(session.inputMetadata);
    const outputs = toTensorInfo(session.outputMetadata);
    outputBuffers = createOutputBuffers(inputs, outputs);
    post({ type: 'ready', provider, skipped, inputs, outputs, metadata, sessionMs });
    return session;
  } catch (err) {
    const skipped = err instanceof ProviderFallbackError ? err.skipped : [];
    post({ type: 'init-failed', skipped, message: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}

async function handle(session: InferenceSession, msg: ToWorker): Promise<void> {
  if (msg.type === 'reuse') return outputBuffers?.give(msg.outputs);
  if (msg.type === 'close') {
    await session.release();
    port.close();
    return;
  }
  // A real exit of this thread, for crash-recovery tests; ignored unless enabled at creation.
  if (msg.crash && init.allowCrashControl) process.exit(70);
  const t0 = performance.now();
  let returned: TensorMap | undefined;
  try {
    const prepared = inputs.prepare(msg.feeds, msg.normalize);
    returned = prepared.returned;
    const { outputs, reused } = await runInto(session, prepared.feeds);
    const back = returned ? { returned } : {};
    post({ type: 'result', id: msg.id, outputs, reused, runMs: performance.now() - t0, ...back }, [...transferList(outputs), ...transferList(returned ?? {})]);
  } catch (err) {
    // The pixel buffers go back on failure too: the caller's pool of them must not shrink.
    const back = returned ? { returned } : {};
    post({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err), ...back }, transferList(returned ?? {}));
  }
}

/**
 * Runs with pre-allocated outputs (recycled buffers) where their shape is known. When that run
 * fails, it is repeated without them: if the repeat succeeds, the model's declared shape was not
 * what it produces and pre-allocation stays off for this worker (slower, never wrong); if it
 * fails too, the input was bad and its error is the answer.
 */
async function runInto(session: InferenceSession, feeds: TensorMap): Promise<{ outputs: TensorMap; reused: number }> {
  const batch = feeds[session.inputNames[0]!]?.dims[0] ?? 1;
  const { fetches, reused } = outputBuffers?.take(batch) ?? { fetches: {}, reused: 0 };
  if (Object.keys(fetches).length === 0) return { outputs: fromOrtOutputs(await session.run(toOrtFeeds(feeds))), reused: 0 };
  let got;
  try {
    got = await session.run(toOrtFeeds(feeds), toOrtFeeds(fetches));
  } catch {
    const plain = fromOrtOutputs(await session.run(toOrtFeeds(feeds)));
    outputBuffers = undefined;
    return { outputs: plain, reused: 0 };
  }
  // ORT wrote the pre-allocated ones in place (what it returns for them is a copy): send those,
  // and free the copies now (2.8 MB per yolov8n image, else garbage that drives this thread's GCs).
  freeNow(Object.entries(got).filter(([name]) => fetches[name]).map(([, t]) => t.data as ArrayBufferView));
  const others = fromOrtOutputs(Object.fromEntries(Object.entries(got).filter(([name]) => !fetches[name])));
  return { outputs: Object.fromEntries(Object.keys(got).map((name) => [name, fetches[name] ?? others[name]!])), reused };
}

const session = await start();
if (session) port.on('message', (msg: ToWorker) => void handle(session, msg));
else port.close();
