/**
 * @module infra/host
 * What the process gets from the machine it runs on, as the rest of infra uses it: the cores it
 * may use (cgroup-aware: Node ignores a container's CPU quota), the monotonic clock and timers
 * (the Clock port core declares), bounded waits for shutdown paths, and memory: recycled
 * pixel buffers on SharedArrayBuffers and spent buffers freed at once rather than at some GC.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock, TimerHandle } from '../core/types.js';

// How many cores this process may actually use: `os.availableParallelism()` (the CPUs it may
// run on) lowered by a CPU quota of its cgroup, which Node 20 and 24 both ignore. A container
// limited to 2 CPUs on a 64-core GPU host would otherwise size its thread pools for 64 and
// spend its quota switching between them (the same correction Go's automaxprocs and the JVM's
// container support make). cgroup v2 (`cpu.max`) and v1 (`cpu.cfs_quota_us` /
// `cpu.cfs_period_us`) are read from the process's own cgroup up to the root: the smallest
// quota on the way is the one that binds. A fractional quota rounds down, never below 1.
export interface UsableCores {
  readonly cores: number;
  /** True when a cgroup CPU quota, not the CPU count, set `cores`. */
  readonly byQuota: boolean;
  /** What decided, for the start-up log: the CPU count, or the quota and where it was read. */
  readonly source: string;
}

type Read = (file: string) => string | undefined;

const readOrUndefined: Read = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** `dir` and each parent up to `root`, deepest first. */
function upTo(root: string, dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; d.startsWith(root); d = path.dirname(d)) {
    out.push(d);
    if (d === root) break;
  }
  return out;
}

/** Quota in CPUs from one cgroup directory, or undefined when it sets none. */
function quotaV2(dir: string, read: Read): number | undefined {
  const [quota, period] = (read(path.join(dir, 'cpu.max')) ?? '').trim().split(/\s+/);
  const q = Number(quota), p = Number(period);
  return quota !== 'max' && q > 0 && p > 0 ? q / p : undefined;
}

function quotaV1(dir: string, read: Read): number | undefined {
  const q = Number((read(path.join(dir, 'cpu.cfs_quota_us')) ?? '').trim());
  const p = Number((read(path.join(dir, 'cpu.cfs_period_us')) ?? '').trim());
  return q > 0 && p > 0 ? q / p : undefined;
}

/** The binding CPU quota of this process's cgroup (v2 or v1), with the file it came from. */
export function cgroupCpuQuota(read: Read = readOrUndefined, mount = '/sys/fs/cgroup'): { cpus: number; where: string } | undefined {
  const lines = (read('/proc/self/cgroup') ?? '').split('\n').filter(Boolean);
  const candidates: { dir: string; quota: (dir: string, read: Read) => number | undefined; file: string }[] = [];
  for (const line of lines) {
    const [, controllers, rel] = line.split(':', 3) as [string, string | undefined, string | undefined];
    if (rel === undefined || controllers === undefined) continue;
    if (controllers === '') {
      const root = mount;
      for (const dir of upTo(root, path.join(root, rel))) candidates.push({ dir, quota: quotaV2, file: 'cpu.max' });
    } else if (controllers.split(',').includes('cpu')) {
      const root = path.join(mount, controllers);
      const alt = path.join(mount, 'cpu');
      const base = read(path.join(root, 'cpu.cfs_period_us')) !== undefined ? root : alt;
      for (const dir of upTo(base, path.join(base, rel))) candidates.push({ dir, quota: quotaV1, file: 'cpu.cfs_quota_us' });
    }
  }
  let best: { cpus: number; where: string } | undefined;
  for (const c of candidates) {
    const cpus = c.quota(c.dir, read);
    if (cpus !== undefined && (!best || cpus < best.cpus)) best = { cpus, where: path.join(c.dir, c.file) };
  }
  return best;
}

/**
 * onnxruntime's intra-op threads per engine worker: the manifest's when set (not 0); under a CPU
 * quota below the CPU count, the quota's cores shared among the workers (ORT's own default
 * counts the host's cores: 32 threads per session in a 4-CPU container on a 64-core host);
 * otherwise 0, ORT's default.
 */
export function intraOpThreadsFor(configured: number, engineWorkers: number, cores: UsableCores = usableCores()): number {
  if (configured > 0 || !cores.byQuota) return configured;
  return Math.max(1, Math.floor(cores.cores / Math.max(1, engineWorkers)));
}

let thisProcess: UsableCores | undefined;

/**
 * Cores this process may use; see the module note. Without arguments the answer is read once
 * per thread and kept: the decoder defaults, the start-up log and every model load ask for it.
 */
export function usableCores(read?: Read, cpus?: number): UsableCores {
  if (read === undefined && cpus === undefined) return (thisProcess ??= measure(readOrUndefined, availableParallelism()));
  return measure(read ?? readOrUndefined, cpus ?? availableParallelism());
}

function measure(read: Read, cpus: number): UsableCores {
  const quota = cgroupCpuQuota(read);
  if (!quota || Math.max(1, Math.floor(quota.cpus)) >= cpus) return { cores: cpus, byQuota: false, source: `${cpus} CPUs` };
  const cores = Math.max(1, Math.floor(quota.cpus));
  return { cores, byQuota: true, source: `cgroup CPU quota ${Number(quota.cpus.toFixed(2))} (${quota.where}) of ${cpus} CPUs` };
}

// The real Clock: performance.now() (monotonic, unaffected by wall-clock jumps) and Node
// timers. Timers stay ref'd: a CLI awaiting a batched result must not exit with it pending.
export function createSystemClock(): Clock {
  return {
    now: () => performance.now(),
    setTimeout(fn: () => void, ms: number): TimerHandle {
      return setTimeout(fn, ms);
    },
    clearTimeout(handle: TimerHandle): void {
      clearTimeout(handle as NodeJS.Timeout);
    },
  };
}

// A bounded wait for shutdown paths: close() must finish even when what it waits for never does
// (a worker thread stuck in native code, a batch whose engine is gone).
/** Resolves true once `p` settles (either way), or false after `ms`; never rejects. */
export function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = p.then(() => true, () => true);
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}

// Recycled uint8 buffers, kept by exact byte length: a buffer that is reused is not allocated
// and page-faulted again (1.2 MB per 640x640 image), and never becomes garbage for a GC to find.
// Used for the engine's batch of pixels (handed back by the engine worker with each result) and
// for the decoders' letterboxed pixels (handed back once packed into a batch).
// Bounded: at most `keep` spare buffers per length; one more is dropped (left to the GC).
export interface SpareBuffers {
  /** A spare buffer of exactly `length` bytes (removed from the spares), or undefined: the caller allocates. */
  take(length: number): Uint8Array | undefined;
  /**
   * Keeps `data` for a later take, unless `keep` of its length are already spare or it is a view
   * (its memory is shared with something else) or detached. The caller must not use it afterwards.
   */
  give(data: Uint8Array): void;
  /** Spare buffers held now, all lengths together. */
  readonly size: number;
}

/**
 * A zeroed buffer of `length` bytes on a SharedArrayBuffer. Posted to a worker it is shared, not
 * moved: no thread gets a new ArrayBuffer per message, so a buffer that goes back and forth
 * never again counts as young external memory to V8 (whose young-generation GCs are forced once
 * that count passes 32 MB, which transferred batches of pixels and outputs reach within a batch).
 */
export function sharedBytes(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

export function createSpareBuffers(keep: number): SpareBuffers {
  const spare = new Map<number, Uint8Array[]>();
  let size = 0;
  return {
    take(length) {
      const got = spare.get(length)?.pop();
      if (got) size--;
      return got;
    },
    give(data) {
      if (!(data instanceof Uint8Array) || data.length === 0 || data.byteOffset !== 0 || data.length !== data.buffer.byteLength) return;
      const list = spare.get(data.length) ?? [];
      // The same buffer twice would hand it to two writers at once.
      if (list.length >= keep || list.includes(data)) return;
      list.push(data);
      size++;
      spare.set(data.length, list);
    },
    get size() {
      return size;
    },
  };
}

// `freeNow`: releases spent ArrayBuffers at once instead of at some later GC. A big buffer
// nobody reads any more (onnxruntime-node's copy of an output written in place, an encoded
// image after its decode) still counts as external memory until V8 sweeps it, and that count is
// what drives the major GCs a busy thread pays for. Transferring a buffer detaches it, which
// frees its memory there and then; a port that is already closed drops the message, so nothing
// receives it. The buffers must not be read afterwards (their views read as empty).
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
