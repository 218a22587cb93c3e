/**
 * The decode workers follow the cores the process may use, CPU quota included: a real
 * dist/server.js started inside a real cgroup of this machine with a quota of one CPU
 * (cgroup v1 `cpu.cfs_quota_us` or v2 `cpu.max`, whichever the kernel mounts; the tests run as
 * root, as CI does) against the same server outside it. Node's own os.availableParallelism()
 * ignores the quota on both Node 20 and 24, and onnxruntime's default thread count the same.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnDist, type DistProcess, type LogLine } from '../helpers/server-process.js';

/** A fresh cgroup limited to one CPU, and the file a pid is written to to join it. */
function oneCpuCgroup(): { dir: string; join: string } {
  const name = `detectfn-test-${process.pid}`;
  const v1 = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct'].find((d) => existsSync(path.join(d, 'cpu.cfs_quota_us')));
  if (v1) {
    const dir = path.join(v1, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'cpu.cfs_period_us'), '100000');
    writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), '100000');
    return { dir, join: path.join(dir, 'tasks') };
  }
  if (!readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').split(/\s+/).includes('cpu')) {
    throw new Error('cgroup v2 without the cpu controller enabled at the root: this test needs a writable cgroup with a CPU quota (run as root, as CI does)');
  }
  const dir = path.join('/sys/fs/cgroup', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'cpu.max'), '100000 100000');
  return { dir, join: path.join(dir, 'cgroup.procs') };
}

const running: DistProcess[] = [];
const cgroup = oneCpuCgroup();
afterAll(async () => {
  running.forEach((p) => p.stop());
  await Promise.all(running.map((p) => p.exited));
  rmdirSync(cgroup.dir);
});

const env = { DETECTFN_GRPC_PORT: '0' };
const decoderLine = (l: LogLine) => l.decodeWorkers !== undefined;

describe('decode workers and the CPU quota', () => {
  it('a server limited to 1 CPU by its cgroup decodes in-thread, runs ORT on 1 thread and says why; outside it, one worker per core beyond the first', async () => {
    const limited = spawnDist('server.js', [], env, ['sh', '-c', `echo $$ > ${cgroup.join} && exec "$0" "$@"`]);
    const free = spawnDist('server.js', [], env);
    running.push(limited, free);
    const [inside, outside] = await Promise.all([limited.waitForLine(decoderLine), free.waitForLine(decoderLine)]);
    expect(inside).toMatchObject({ decodeWorkers: 0, cores: 1, coresFrom: expect.stringContaining(`cgroup CPU quota 1 (${cgroup.dir}/`) });
    expect(outside).toMatchObject({ cores: availableParallelism(), decodeWorkers: Math.min(8, availableParallelism() - 1) });
    // onnxruntime's intra-op pool: the quota's one core (the demo manifest leaves it at 0 = ORT's
    // default, which would count the host's cores), and ORT's default outside.
    const engineReady = (l: LogLine) => l.msg === 'engine ready';
    const [inEngine, outEngine] = await Promise.all([limited.waitForLine(engineReady), free.waitForLine(engineReady)]);
    expect(inEngine).toMatchObject({ intraOpThreads: 1 });
    expect(outEngine).toMatchObject({ intraOpThreads: 0 });
  });
});
