/**
 * @module infra/image/decode-worker-main
 * Entry of a decode worker thread (bundled as dist/decode-worker.js): runs the sharp decode and
 * the cv2-exact letterbox (core/resize, WASM) for the main thread, so neither the letterbox nor
 * sharp's JS side ever holds the service's event loop. Jobs overlap: sharp work is async.
 */
import { parentPort } from 'node:worker_threads';
import { createLinearResizer } from '../../core/resize/index.js';
import type { DecodeClose, DecodeReply, DecodeRequest } from './decode-protocol.js';
import { mapSharpError } from './errors.js';
import { runPlan } from './pipeline.js';

const port = parentPort!;
const resizer = createLinearResizer();

async function handle(msg: DecodeRequest): Promise<void> {
  try {
    const out = await runPlan(msg.bytes, msg.plan, msg.mode, msg.limitInputPixels, resizer, msg.shrinkOnLoad);
    // sharp's kernels return a view of a native Buffer, which cannot be transferred: copy those.
    const pixels = Buffer.isBuffer(out) || out.byteLength !== out.buffer.byteLength ? new Uint8Array(out) : out;
    port.postMessage({ id: msg.id, ok: true, pixels } satisfies DecodeReply, [pixels.buffer as ArrayBuffer]);
  } catch (err) {
    const e = mapSharpError(err);
    port.postMessage({ id: msg.id, ok: false, code: e.code, message: e.message, details: e.details } satisfies DecodeReply);
  }
}

port.on('message', (msg: DecodeRequest | DecodeClose) => {
  if ('close' in msg) port.close();
  else void handle(msg);
});
