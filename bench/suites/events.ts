/**
 * @module bench/suites/events
 * S3 events vs HTTP on yolov8n, same server, same run: 200 images (coco128, repeated under new
 * keys) uploaded to a fresh radosgw, then
 * - events.images_per_s: one webhook POST per object (as radosgw pushes, with size and ETag), all at once; the
 *   processor downloads and detects DETECTFN_EVENTS_CONCURRENCY at a time and writes results;
 * - events.http_images_per_s: the same bytes POSTed to /v1/models/M/detect by that many
 *   clients in parallel.
 * The rounds alternate; the note gives the ratio of the medians (target >= 0.9).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { silentLogger } from '../../infra/config.js';
import { type EventHarness, startEventHarness } from '../../test/helpers/event-harness.js';
import { startRadosgw } from '../../test/helpers/radosgw.js';
import { COCO128, MODELS } from '../../test/helpers/shared-data.js';
import { type BenchSuite, summarize } from '../report.js';

const N = 200;
const CONCURRENCY = 8;

async function eventsRound(h: EventHarness, round: number, images: Buffer[]): Promise<number> {
  const keys = images.map((_, i) => `r${round}/img ${i}.jpg`);
  const eTags: string[] = [];
  for (let i = 0; i < keys.length; i += 20) {
    await Promise.all(keys.slice(i, i + 20).map(async (Key, j) => {
      const out = await h.admin.send(new PutObjectCommand({ Bucket: h.input, Key, Body: images[i + j]! }));
      eTags[i + j] = out.ETag!.replace(/"/g, '');
    }));
  }
  const t0 = performance.now();
  const res = await Promise.all(
    keys.map((key, i) =>
      fetch(`${h.server.url}/v1/events/s3`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ Records: [{ eventSource: 'ceph:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: h.input }, object: { key, size: images[i]!.length, eTag: eTags[i] } } }] }),
      }).then(async (r) => ((await r.json()) as { counts: { processed: number } }).counts.processed),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  const processed = res.reduce((a, b) => a + b, 0);
  if (processed !== N) throw new Error(`events round ${round}: ${processed} of ${N} processed`);
  return N / seconds;
}

async function httpRound(h: EventHarness, model: string, images: Buffer[]): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < images.length) {
        const img = images[next++]!;
        const r = await fetch(`${h.server.url}/v1/models/${model}/detect`, { method: 'POST', body: img, headers: { 'Content-Type': 'image/jpeg' } });
        if (r.status !== 200) throw new Error(`HTTP detect answered ${r.status}`);
        await r.arrayBuffer();
      }
    }),
  );
  return images.length / ((performance.now() - t0) / 1000);
}

export const eventsSuite: BenchSuite = {
  name: 'events',
  async run(ctx) {
    const dir = COCO128.images();
    const files = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
    const images = Array.from({ length: N }, (_, i) => readFileSync(path.join(dir, files[i % files.length]!)));
    const rgw = await startRadosgw({ osdBytes: 2 << 30 });
    const h = await startEventHarness(rgw, [MODELS.yolov8n()], silentLogger(), { config: { DETECTFN_EVENTS_CONCURRENCY: CONCURRENCY } });
    const events: number[] = [];
    const http: number[] = [];
    try {
      const model = h.server.registry.names()[0]!;
      await httpRound(h, model, images.slice(0, 16));
      for (let round = 0; round < (ctx.quick ? 1 : 3); round++) {
        events.push(await eventsRound(h, round, images));
        http.push(await httpRound(h, model, images));
        ctx.progress(`round ${round}: events ${events.at(-1)!.toFixed(1)} images/s, http ${http.at(-1)!.toFixed(1)} images/s`);
      }
    } finally {
      await h.close();
      await rgw.stop();
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
    const ratio = med(events) / med(http);
    const note = `${N} coco128 images, yolov8n, concurrency ${CONCURRENCY}; events/http = ${ratio.toFixed(2)} (target >= 0.9)`;
    return [
      summarize('events.images_per_s', 'images/s', events, { note }),
      summarize('events.http_images_per_s', 'images/s', http, { note: `same images via POST /v1/models/M/detect, ${CONCURRENCY} clients` }),
    ];
  },
};
