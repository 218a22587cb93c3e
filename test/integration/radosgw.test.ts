import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { s3ClientFor, startRadosgw } from '../helpers/radosgw.js';

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

  it('stops and restarts only the gateway: the port refuses, then serves the same objects again', async () => {
    const rgw = await startRadosgw();
    try {
      const s3 = s3ClientFor(rgw);
      await s3.send(new CreateBucketCommand({ Bucket: 'fault' }));
      await s3.send(new PutObjectCommand({ Bucket: 'fault', Key: 'k', Body: 'kept' }));
      await rgw.stopGateway();
      const refused = await fetch(rgw.endpoint, { signal: AbortSignal.timeout(2000) }).then(() => 'answered', (e: Error) => (e.cause as { code?: string })?.code ?? e.message);
      expect(refused).toBe('ECONNREFUSED');
      await rgw.startGateway();
      const body = await (await s3.send(new GetObjectCommand({ Bucket: 'fault', Key: 'k' }))).Body!.transformToString();
      expect(body).toBe('kept');
    } finally {
      await rgw.stop();
    }
  });
});
