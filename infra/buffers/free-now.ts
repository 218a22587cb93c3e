/**
 * @module infra/buffers/free-now
 * `freeNow`: releases spent ArrayBuffers at once instead of at some later GC. A big buffer
 * nobody reads any more (onnxruntime-node's copy of an output written in place, an encoded
 * image after its decode) still counts as external memory until V8 sweeps it, and that count is
 * what drives the major GCs a busy thread pays for. Transferring a buffer detaches it, which
 * frees its memory there and then; a port that is already closed drops the message, so nothing
 * receives it. The buffers must not be read afterwards (their views read as empty).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';

// One closed port per thread (each thread loads its own copy of this module), made on first use.
let sink: MessagePort | undefined;

/** Detaches (and so frees) each distinct plain ArrayBuffer under `views`; SharedArrayBuffers and shared Buffer pools are left alone. */
export function freeNow(views: Iterable<ArrayBufferView>): void {
  const list: ArrayBuffer[] = [];
  for (const v of views) {
    const buf = v.buffer;
    // A pooled Buffer slice shares its ArrayBuffer with unrelated data: never detach that.
    if (buf instanceof ArrayBuffer && v.byteLength === buf.byteLength && buf.byteLength > 0 && !list.includes(buf)) list.push(buf);
  }
  if (list.length === 0) return;
  if (!sink) {
    sink = new MessageChannel().port1;
    sink.close();
  }
  try {
    sink.postMessage(null, list);
  } catch {
    // A buffer that cannot be transferred (external memory a native addon pinned) is left to the GC.
  }
}
