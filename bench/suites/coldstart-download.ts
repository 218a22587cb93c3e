/**
 * @module bench/suites/coldstart-download
 * The download part of a cold start: yolov8n.onnx (12.8 MB) fetched from a freshly started real
 * radosgw into an empty cache dir, with a new S3 client each time (connection set-up included),
 * through createModelStore. Also the warm path (HEAD + cache hit) and the test server's own
 * start and stop, since every integration run pays them. `coldstart.total` is the whole cold
 * start of the served model through the real registry: manifest -> download -> cross-check ->
 * sessions -> warmup of batch sizes 1,2,4,8, each phase as the service itself reports it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createModelRegistry } from '../../infra/model/registry.js';
import { createModelStore } from '../../infra/store/store.js';
import { s3ClientFor, startRadosgw } from '../../test/helpers/radosgw.js';
import { MODELS } from '../../test/helpers/shared-data.js';
import { type BenchSuite, summarize } from '../report.js';

export const coldstartDownloadSuite: BenchSuite = {
  name: 'coldstart-download',
  async run(ctx) {
    const reps = ctx.quick ? 5 : 15;
    const starts: number[] = [];
    const stops: number[] = [];
    for (let i = 0; i < (ctx.quick ? 1 : 3) - 1; i++) {
      const r = await startRadosgw();
      starts.push(r.startMs);
      const t = performance.now();
      await r.stop();
      stops.push(performance.now() - t);
    }
    const rgw = await startRadosgw();
    starts.push(rgw.startMs);
    ctx.progress(`radosgw up in ${rgw.startMs.toFixed(0)} ms at ${rgw.endpoint}`);
    const cold: number[] = [];
    const warm: number[] = [];
    const total: number[] = [];
    const phases = { download: [] as number[], session: [] as number[], warmup: [] as number[] };
    try {
      const body = readFileSync(MODELS.yolov8n());
      const admin = s3ClientFor(rgw);
      await admin.send(new CreateBucketCommand({ Bucket: 'bench-models' }));
      await admin.send(new PutObjectCommand({ Bucket: 'bench-models', Key: 'yolov8n.onnx', Body: body }));
      for (let i = 0; i < reps; i++) {
        const cacheDir = await mkdtemp(path.join(tmpdir(), 'detectfn-bench-cache-'));
        try {
          const store = createModelStore({ cacheDir, s3: { client: s3ClientFor(rgw) } });
          const t0 = performance.now();
          const got = await store.fetch('s3://bench-models/yolov8n.onnx');
          cold.push(performance.now() - t0);
          if (got.cached || got.bytes !== body.length) throw new Error(`unexpected cold fetch result ${JSON.stringify(got)}`);
          const t1 = performance.now();
          await store.fetch('s3://bench-models/yolov8n.onnx');
          warm.push(performance.now() - t1);
        } finally {
          await rm(cacheDir, { recursive: true, force: true });
        }
      }
      ctx.progress(`${reps} cold fetches done`);
      const manifestDir = await mkdtemp(path.join(tmpdir(), 'detectfn-bench-manifest-'));
      try {
        const manifest = path.join(manifestDir, 'yolov8n.json');
        writeFileSync(manifest, JSON.stringify({ name: 'yolov8n', source: { uri: 's3://bench-models/yolov8n.onnx' } }));
        for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
          const cacheDir = await mkdtemp(path.join(tmpdir(), 'detectfn-bench-cache-'));
          const registry = createModelRegistry({ models: [manifest], cacheDir, s3: { client: s3ClientFor(rgw) } });
          try {
            await registry.whenReady();
            const c = registry.get('yolov8n').describe().coldStart!;
            total.push(c.totalMs);
            phases.download.push(c.downloadMs);
            phases.session.push(c.sessionMs);
            phases.warmup.push(c.warmupMs);
          } finally {
            await registry.close();
            await rm(cacheDir, { recursive: true, force: true });
          }
          ctx.progress(`full cold start ${i + 1}: ${total.at(-1)!.toFixed(0)} ms`);
        }
      } finally {
        await rm(manifestDir, { recursive: true, force: true });
      }
    } finally {
      const t = performance.now();
      await rgw.stop();
      stops.push(performance.now() - t);
    }
    const mb = 12_822_105 / 1e6;
    return [
      summarize('coldstart.download', 'ms', cold, { note: `yolov8n.onnx ${mb.toFixed(1)} MB, radosgw on 127.0.0.1, empty cache, new client` }),
      summarize('coldstart.total', 'ms', total, {
        note: `registry cold start from S3 (download ${med(phases.download)} + session ${med(phases.session)} + warmup b1,2,4,8 ${med(phases.warmup)} ms medians)`,
      }),
      summarize('coldstart.download.warm', 'ms', warm, { note: 'same store: HEAD + cache hit, no GET' }),
      summarize('test.radosgw.start', 'ms', starts, { note: '1 mon + 1 memstore OSD + radosgw + user' }),
      summarize('test.radosgw.stop', 'ms', stops, { note: 'radosgw -> osd -> mon, dir removed' }),
    ];
  },
};

function med(xs: readonly number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]!.toFixed(0) : 'n/a';
}
