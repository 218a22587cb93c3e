import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startRadosgw } from '../helpers/radosgw.js';

/** pids of processes whose command line mentions `text` (the cluster's temp dir). */
function processesMentioning(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('startRadosgw', () => {
  it('stops every daemon it started and removes its dir when the start fails', async () => {
    // A deadline that has passed by the time radosgw could answer: mon, osd and rgw are running.
    const err: Error = await startRadosgw({ startTimeoutMs: 1 }).then(
      async (rgw) => (await rgw.stop(), new Error('started although the deadline had passed')),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/radosgw did not start \(state in (\S+), now removed\): no HTTP answer/);
    expect(err.message).toContain('--- client.rgw');
    const dir = /state in (\S+),/.exec(err.message)![1]!;
    expect(existsSync(dir)).toBe(false);
    expect(processesMentioning(dir)).toEqual([]);
  });
});
