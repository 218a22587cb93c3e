/**
 * @module infra/image/decode-worker
 * Entry of a decode worker thread (bundled as dist/decode-worker.js): runs the decode (sharp, or
 * libjpeg-turbo for a plain JPEG) and
 * the cv2-exact letterbox (core/resize, WASM) for the main thread, so neither the letterbox nor
 * sharp's JS side ever holds the service's event loop. Jobs overlap: sharp work is async.
 */
import { parentPort } from 'node:worker_threads';
import { createLinearResizer } from '../../core/resize.js';
import { freeNow } from '../host.js';
import { type DecodeClose, type DecodeReply, type DecodeRequest, mapSharpError } from './decoder.js';
import { decodeJpegOnThisThread, runPlan } from './pipeline.js';

const port = parentPort!;
const resizer = createLinearResizer();
decodeJpegOnThisThread();

/**
 * Transfers the pixels. sharp's kernels return memory libvips allocated (an external
 * ArrayBuffer, sometimes viewed as a plain Uint8Array), which Node 24 refuses to transfer
 * ("Cannot transfer object of unsupported type") where Node 20 allowed it: those are copied.
 */
function reply(id: number, out: Uint8Array, reused: boolean): void {
  // Written into the caller's shared buffer: nothing to send but the answer.
  if (reused && out.buffer instanceof SharedArrayBuffer) return port.postMessage({ id, ok: true, reused } satisfies DecodeReply);
  const shared = Buffer.isBuffer(out) || out.byteLength !== out.buffer.byteLength;
  const pixels = shared ? new Uint8Array(out) : out;
  try {
    port.postMessage({ id, ok: true, pixels, reused } satisfies DecodeReply, [pixels.buffer as ArrayBuffer]);
  } catch (err) {
    if (!(err instanceof Error && err.name === 'DataCloneError')) throw err;
    const copy = new Uint8Array(pixels);
    port.postMessage({ id, ok: true, pixels: copy, reused: false } satisfies DecodeReply, [copy.buffer]);
  }
}

async function handle(msg: DecodeRequest): Promise<void> {
  let out: Uint8Array;
  try {
    out = await runPlan(msg.bytes, msg.plan, msg.route, resizer, msg.into);
  } catch (err) {
    if (msg.into) freeNow([msg.into]);
    const e = mapSharpError(err);
    port.postMessage({ id: msg.id, ok: false, code: e.code, message: e.message, details: e.details } satisfies DecodeReply);
    return;
  }
  // A spent buffer the route did not write into (a libvips route, another size) is garbage here.
  if (msg.into && msg.into !== out) freeNow([msg.into]);
  // Outside the try: a failure to reply is this worker's fault, never the image's.
  reply(msg.id, out, msg.into !== undefined && msg.into === out);
}

port.on('message', (msg: DecodeRequest | DecodeClose) => {
  if ('close' in msg) port.close();
  else void handle(msg);
});
