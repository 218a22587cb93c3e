/**
 * @module infra/host/usable-cores
 * How many cores this process may actually use: `os.availableParallelism()` (the CPUs it may
 * run on) lowered by a CPU quota of its cgroup, which Node 20 and 24 both ignore. A container
 * limited to 2 CPUs on a 64-core GPU host would otherwise size its thread pools for 64 and
 * spend its quota switching between them (the same correction Go's automaxprocs and the JVM's
 * container support make). cgroup v2 (`cpu.max`) and v1 (`cpu.cfs_quota_us` /
 * `cpu.cfs_period_us`) are read from the process's own cgroup up to the root: the smallest
 * quota on the way is the one that binds. A fractional quota rounds down, never below 1.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

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
