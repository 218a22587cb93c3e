/**
 * Decode workers decode on their own thread, not on the process-wide libuv pool: with the pool
 * (one thread here, UV_THREADPOOL_SIZE=1) held by a ~2 s job, an image still decodes through a
 * worker at once, while the event loop's own decode (workers: 0, which must not block its
 * thread) waits behind the job. Real child processes (the pool size is fixed per process).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGES, repoRoot } from '../../test/helpers/shared-data.js';

function order(workers: number): string[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/helpers/threadpool-probe.ts'), IMAGES.bus(), String(workers)], {
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return (JSON.parse(out.trim().split('\n').pop()!) as { order: string[] }).order;
}

describe('JPEG decode and the libuv thread pool', () => {
  it('a decode worker decodes while the pool is busy; the event loop path waits for the pool', () => {
    expect(order(1)).toEqual(['decode', 'threadpool job']);
    expect(order(0)).toEqual(['threadpool job', 'decode']);
  }, 60_000);
});
