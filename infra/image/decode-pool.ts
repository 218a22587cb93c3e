/**
 * @module infra/image/decode-pool
 * `createDecodePool`: a few decode worker threads behind one call. A job goes to the worker
 * with the fewest jobs in flight; workers start on first use and are unref'd while idle, so an
 * idle pool never keeps the process alive and a busy one never lets it exit mid-job. A worker
 * that dies fails its own jobs with WORKER_CRASHED and is replaced on the next call. Errors are
 * created at the call (their stack points at the caller) and filled from the worker's reply.
 */
import { Worker } from 'node:worker_threads';
import { DetectError, type ErrorCode } from '../../core/errors.js';
import { settledWithin } from '../host.js';
import type { DecodeClose, DecodeReply, DecodeRequest } from './decoder.js';
import { resolveDecodeWorker } from './decoder.js';
import type { ImagePlan, PixelRoute } from './pipeline.js';

/** A worker's pixels; `reused`: written into the `into` buffer the call brought. */
export interface PooledPixels {
  readonly pixels: Uint8Array;
  readonly reused: boolean;
}

export interface DecodePool {
  readonly size: number;
  /**
   * HWC RGB of `plan.target` size (letterboxed or cropped), computed in a worker. `bytes` is not
   * detached. `into`: a spent pixel buffer for the worker to write into when its length fits:
   * shared when it is on a SharedArrayBuffer (the pixels are then `into` itself), else
   * transferred (detached here; the pixels may come back in it).
   */
  letterbox(bytes: Uint8Array, plan: ImagePlan, route: PixelRoute, into?: Uint8Array): Promise<PooledPixels>;
  close(): Promise<void>;
}

interface Pending {
  readonly site: Error;
  /** The caller's shared `into` buffer: the pixels when the worker wrote them there. */
  readonly into: Uint8Array | undefined;
  resolve(result: PooledPixels): void;
  reject(err: DetectError): void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

function fromSite(site: Error, code: ErrorCode, message: string, details?: Record<string, unknown>): DetectError {
  const err = new DetectError(code, message, details ? { details } : {});
  const frames = site.stack?.split('\n').slice(1).join('\n');
  if (frames) err.stack = `DetectError: ${message}\n${frames}`;
  return err;
}

/** How long close() lets a worker finish its jobs before terminating it. */
const CLOSE_WAIT_MS = 5_000;

export function createDecodePool(size: number, script: URL = resolveDecodeWorker()): DecodePool {
  const slots: (Slot | undefined)[] = new Array(size).fill(undefined);
  let nextId = 1;
  let closed = false;

  const spawn = (i: number): Slot => {
    const slot: Slot = { worker: new Worker(script), pending: new Map() };
    slot.worker.unref();
    let dead = false;
    const die = (reason: string) => {
      if (dead) return; // 'error' is followed by 'exit'
      dead = true;
      if (slots[i] === slot) slots[i] = undefined;
      for (const p of slot.pending.values()) p.reject(fromSite(p.site, 'WORKER_CRASHED', `decode worker crashed: ${reason}`));
      slot.pending.clear();
    };
    slot.worker.on('message', (msg: DecodeReply) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      if (slot.pending.size === 0) slot.worker.unref();
      // No pixels in the reply only when they were written into the shared `into` (decode-worker-main).
      if (msg.ok) p.resolve({ pixels: msg.pixels ?? p.into!, reused: msg.reused });
      else p.reject(fromSite(p.site, msg.code, msg.message, msg.details));
    });
    slot.worker.on('error', (err) => die(err.message));
    slot.worker.on('exit', (code) => die(`exit code ${code}`));
    return (slots[i] = slot);
  };

  const pick = (): Slot => {
    let best = -1;
    for (let i = 0; i < size; i++) {
      const s = slots[i];
      if (!s) return spawn(i);
      if (best < 0 || s.pending.size < slots[best]!.pending.size) best = i;
    }
    return slots[best]!;
  };

  function letterbox(bytes: Uint8Array, plan: ImagePlan, route: PixelRoute, into?: Uint8Array): Promise<PooledPixels> {
    const site = new Error('call site');
    Error.captureStackTrace(site, letterbox);
    if (closed) return Promise.reject(fromSite(site, 'NOT_READY', 'image decoder is closed'));
    const slot = pick();
    const id = nextId++;
    // A private copy to transfer: the caller keeps its bytes (a pooled Buffer cannot move anyway).
    const own = new Uint8Array(bytes);
    return new Promise<PooledPixels>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      const spent = into ? { into } : {};
      const shared = into?.buffer instanceof SharedArrayBuffer;
      slot.pending.set(id, { site, into: shared ? into : undefined, resolve, reject });
      const transfer = into && !shared ? [own.buffer, into.buffer as ArrayBuffer] : [own.buffer];
      slot.worker.postMessage({ id, bytes: own, plan, route, ...spent } satisfies DecodeRequest, transfer);
    });
  }

  return {
    size,
    letterbox,
    async close() {
      closed = true;
      // Each worker answers what it was sent, then exits on its own; terminate() is the fallback.
      await Promise.all(slots.map(async (s) => {
        if (!s) return;
        const exited = new Promise<void>((resolve) => s.worker.once('exit', () => resolve()));
        s.worker.postMessage({ close: true } satisfies DecodeClose);
        if (!(await settledWithin(exited, CLOSE_WAIT_MS))) await s.worker.terminate();
      }));
    },
  };
}
