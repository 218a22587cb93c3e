import { describe, expect, it } from 'vitest';
import { cgroupCpuQuota, createSpareBuffers, freeNow, intraOpThreadsFor, usableCores } from './host.js';

/**
 * The cgroup readers on file contents as the kernel writes them (v2 `cpu.max`, v1 cfs files),
 * served from a map: the real files are read in test/integration/cgroup-cores.test.ts, which
 * puts a real server in a real cgroup with a quota.
 */

const fs = (files: Record<string, string>) => (file: string) => files[file];

describe('cgroupCpuQuota', () => {
  it('v2: the smallest quota from the process cgroup up to the root binds; "max" sets none', () => {
    const read = fs({
      '/proc/self/cgroup': '0::/kubepods/pod1/ctr\n',
      '/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': 'max 100000\n',
      '/sys/fs/cgroup/kubepods/pod1/cpu.max': '250000 100000\n',
      '/sys/fs/cgroup/kubepods/cpu.max': '800000 100000\n',
    });
    expect(cgroupCpuQuota(read)).toEqual({ cpus: 2.5, where: '/sys/fs/cgroup/kubepods/pod1/cpu.max' });
    expect(cgroupCpuQuota(fs({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': 'max 100000\n' }))).toBeUndefined();
  });

  it('v1: cpu,cpuacct mounted together, quota -1 is none, a container sees its own cgroup at the mount root', () => {
    const read = fs({
      '/proc/self/cgroup': '4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n',
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '150000\n',
    });
    expect(cgroupCpuQuota(read)).toEqual({ cpus: 1.5, where: '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us' });
    expect(cgroupCpuQuota(fs({ '/proc/self/cgroup': '1:cpu:/\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1' }))).toBeUndefined();
  });

  it('no cgroup files at all (not Linux, or hidden): no quota', () => {
    expect(cgroupCpuQuota(fs({}))).toBeUndefined();
  });
});

describe('intraOpThreadsFor', () => {
  const quota = { cores: 4, byQuota: true, source: 'cgroup CPU quota 4 (/sys/fs/cgroup/x/cpu.max) of 64 CPUs' };
  it('keeps a configured count, shares a quota among engine workers, and leaves ORT its default without a quota', () => {
    expect(intraOpThreadsFor(3, 2, quota)).toBe(3);
    expect(intraOpThreadsFor(0, 1, quota)).toBe(4);
    expect(intraOpThreadsFor(0, 3, quota)).toBe(1);
    expect(intraOpThreadsFor(0, 8, quota)).toBe(1);
    expect(intraOpThreadsFor(0, 2, { cores: 64, byQuota: false, source: '64 CPUs' })).toBe(0);
  });
});

describe('usableCores', () => {
  const quota = (q: string) => fs({ '/proc/self/cgroup': '0::/x\n', '/sys/fs/cgroup/x/cpu.max': `${q} 100000` });
  it('is the CPU count without a lower quota, the quota rounded down (at least 1) with one', () => {
    expect(usableCores(quota('max'), 16)).toEqual({ cores: 16, byQuota: false, source: '16 CPUs' });
    expect(usableCores(quota('400000'), 16)).toMatchObject({ cores: 4, byQuota: true, source: expect.stringMatching(/^cgroup CPU quota 4 \(\/sys\/fs\/cgroup\/x\/cpu\.max\) of 16 CPUs$/) });
    expect(usableCores(quota('250000'), 16).cores).toBe(2);
    expect(usableCores(quota('50000'), 16).cores).toBe(1);
    expect(usableCores(quota('3200000'), 16)).toEqual({ cores: 16, byQuota: false, source: '16 CPUs' });
  });
});

// Spare buffers.
describe('createSpareBuffers', () => {
  it('hands back given buffers by exact length, keeping at most `keep` per length', () => {
    const b = createSpareBuffers(1);
    const [x, y, z] = [new Uint8Array(12), new Uint8Array(12), new Uint8Array(24)];
    b.give(x);
    b.give(y); // over `keep`: dropped
    b.give(z);
    expect(b.size).toBe(2);
    expect(b.take(36)).toBeUndefined();
    expect(b.take(12)).toBe(x);
    expect(b.take(12)).toBeUndefined();
    expect(b.take(24)).toBe(z);
    expect(b.size).toBe(0);
  });

  it('ignores views (their buffer is shared with something else), detached buffers and a buffer given twice', () => {
    const b = createSpareBuffers(4);
    b.give(new Uint8Array(24).subarray(0, 12));
    const moved = new Uint8Array(12);
    structuredClone(moved.buffer, { transfer: [moved.buffer] });
    b.give(moved);
    const twice = new Uint8Array(12);
    b.give(twice);
    b.give(twice);
    expect(b.size).toBe(1);
    expect(b.take(12)).toBe(twice);
    expect(b.take(12)).toBeUndefined();
  });
});

// Free now.
describe('freeNow', () => {
  it('detaches whole plain buffers at once, and their memory leaves the process count', () => {
    const before = process.memoryUsage().arrayBuffers;
    const big = [new Float32Array(4_000_000), new Uint8Array(16_000_000)];
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(32_000_000);
    freeNow(big);
    expect(big.map((a) => a.byteLength)).toEqual([0, 0]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1_000_000);
  });

  it('leaves alone what shares its memory: views of a larger buffer, pooled Buffers, SharedArrayBuffers', () => {
    const whole = new Uint8Array(64);
    const view = whole.subarray(8, 16);
    const pooled = Buffer.from('small strings live in a shared pool');
    const shared = new Uint8Array(new SharedArrayBuffer(32));
    freeNow([view, pooled, shared]);
    expect([whole.byteLength, view.byteLength, shared.byteLength]).toEqual([64, 8, 32]);
    expect(pooled.toString()).toBe('small strings live in a shared pool');
  });
});
