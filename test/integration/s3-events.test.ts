/**
 * S3 events end to end on the real radosgw and the real demo model: radosgw's own bucket
 * notifications pushed to the running server's webhook, then SQS- and EventBridge-shaped
 * deliveries of the same kind of objects, bad objects among good ones, duplicates, a burst.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildDemoModelFile } from '../../models/demo/index.js';
import { capturingLogger } from '../helpers/capture-logger.js';
import { startEventHarness, type EventHarness } from '../helpers/event-harness.js';
import { repoRoot } from '../helpers/shared-data.js';
import { shapeImage, type Box, type DrawnShape } from '../helpers/shape-images.js';

const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
const DEMO = path.join(repoRoot, 'models/demo.json');
const MAX_BYTES = 300_000;
let h: EventHarness;
const log = capturingLogger();

beforeAll(async () => {
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  h = await startEventHarness(inject('radosgw'), [DEMO], log.logger, { DETECTFN_EVENTS_CONCURRENCY: 4, DETECTFN_EVENTS_MAX_OBJECT_BYTES: MAX_BYTES });
});
afterAll(async () => h?.close());

type Result = { model: { name: string; version: string }; input: { bucket: string; key: string; eTag: string }; image: { width: number; height: number }; detections: { box: Box; label: string }[]; timings: Record<string, number> };
const shapes = (i: number): DrawnShape[] => [{ kind: 'rect', label: 'red', box: [20 + i, 30, 120 + i, 150] }, { kind: 'circle', label: 'blue', box: [180, 160, 290, 290] }];
const image = (i = 0) => shapeImage(320, 320, shapes(i), 'png');
const result = async (key: string) => JSON.parse((await h.getText(h.output, `results/${key}.json`)) ?? 'null') as Result | null;
const post = (body: unknown) => fetch(`${h.server.url}/v1/events/s3`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
const s3Event = (keys: string[], bucket = h.input) => ({
  Records: keys.map((key) => ({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%20/g, '+'), size: 1 } } })),
});

function expectShapesFound(r: Result, i: number): void {
  expect(r.detections.map((d) => d.label).sort()).toEqual(['blue', 'red']);
  for (const s of shapes(i)) {
    const got = r.detections.find((d) => d.label === s.label)!.box;
    got.forEach((v, j) => expect(Math.abs(v - s.box[j]!), `${s.label} coord ${j}: ${got} vs ${s.box}`).toBeLessThanOrEqual(3));
  }
}

async function waitFor<T>(fn: () => Promise<T | null | undefined>, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('real radosgw bucket notifications to POST /v1/events/s3', () => {
  const KEYS = ['plain.png', 'nested/dir/red flower.png', 'a+b=c&d.png', 'ünï/çødé 猫.png', 'pct%20x.png'];

  it('detects every PUT object (spaces, +, %, unicode, nested) and writes its result where its key says', async () => {
    const conn = inject('radosgw');
    const sns = new SNSClient({ endpoint: conn.endpoint, region: conn.region, credentials: { accessKeyId: conn.accessKeyId, secretAccessKey: conn.secretAccessKey } });
    const topic = await sns.send(new CreateTopicCommand({ Name: `detectfn-${h.input}`, Attributes: { 'push-endpoint': `${h.server.url}/v1/events/s3`, persistent: 'false' } }));
    // A bucket of its own: the tests below deliver events themselves and count what happens.
    const bucket = `${h.input}-notified`;
    await h.admin.send(new CreateBucketCommand({ Bucket: bucket }));
    await h.admin.send(new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: { TopicConfigurations: [{ Id: 'detect', TopicArn: topic.TopicArn!, Events: ['s3:ObjectCreated:*'] }] },
    }));
    for (const [i, key] of KEYS.entries()) await h.admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await image(i) }));
    for (const [i, key] of KEYS.entries()) {
      const r = await waitFor(() => result(key), `result of ${key}`);
      const head = await h.admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(r).toMatchObject({ model: { name: 'demo', version: '1' }, input: { bucket, key, eTag: head.ETag!.replace(/"/g, '') }, image: { width: 320, height: 320 } });
      expect(Object.keys(r.timings)).toContain('download');
      expectShapesFound(r, i);
    }
    const out = await h.admin.send(new HeadObjectCommand({ Bucket: h.output, Key: `results/${KEYS[1]}.json` }));
    expect(out.Metadata).toMatchObject({ 'detectfn-model': 'demo', 'detectfn-model-version': '1' });
  });
});

describe('deliveries in other shapes', () => {
  it('fails a missing, a corrupt and an oversized object alone (207, error records) and processes the good ones', async () => {
    await h.put('batch/good 1.png', await image(1));
    await h.put('batch/good+2.png', await image(2));
    await h.put('batch/corrupt.png', new TextEncoder().encode('not an image at all'));
    await h.put('batch/big.png', new Uint8Array(MAX_BYTES + 1).fill(7));
    const keys = ['batch/good 1.png', 'batch/missing.png', 'batch/corrupt.png', 'batch/big.png', 'batch/good+2.png'];
    const res = await post(s3Event(keys));
    expect(res.status).toBe(207);
    const body = (await res.json()) as { counts: Record<string, number>; records: { key: string; status: string; error?: { code: string } }[] };
    expect(body.counts).toMatchObject({ processed: 2, failed: 3 });
    expect(body.records.map((r) => [r.key, r.status, r.error?.code])).toEqual([
      ['batch/good 1.png', 'processed', undefined], ['batch/missing.png', 'failed', 'NOT_FOUND'], ['batch/corrupt.png', 'failed', 'UNSUPPORTED_MEDIA_TYPE'],
      ['batch/big.png', 'failed', 'PAYLOAD_TOO_LARGE'], ['batch/good+2.png', 'processed', undefined],
    ]);
    expectShapesFound((await result('batch/good 1.png'))!, 1);
    expectShapesFound((await result('batch/good+2.png'))!, 2);
    const errorRecord = JSON.parse((await h.getText(h.output, 'results/_errors/batch/big.png.json'))!);
    expect(errorRecord).toMatchObject({ input: { bucket: h.input, key: 'batch/big.png' }, model: 'demo', code: 'PAYLOAD_TOO_LARGE', attempts: 1 });
    expect(Date.parse(errorRecord.failedAt)).not.toBeNaN();
    expect(log.lines.filter((l) => l.msg === 'event: object failed'), JSON.stringify(log.lines.filter((l) => l.msg === 'event: object failed'))).toHaveLength(3);
  });

  it('processes SQS- and EventBridge-shaped events of the same objects', async () => {
    await h.put('shapes/sqs one.png', await image(3));
    await h.put('shapes/eb+one.png', await image(4));
    const sqs = { Records: [{ messageId: 'm-1', eventSource: 'aws:sqs', body: JSON.stringify(s3Event(['shapes/sqs one.png'])) }] };
    const eb = { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: h.input }, object: { key: 'shapes/eb+one.png' }, reason: 'PutObject' } };
    for (const ev of [sqs, eb]) expect((await post(ev)).status).toBe(200);
    expectShapesFound((await result('shapes/sqs one.png'))!, 3);
    expectShapesFound((await result('shapes/eb+one.png'))!, 4);
  });

  it('gives an event delivered twice one result and no second inference', async () => {
    await h.put('twice.png', await image(5));
    const first = (await (await post(s3Event(['twice.png']))).json()) as { counts: { processed: number } };
    expect(first.counts.processed).toBe(1);
    const before = await h.admin.send(new HeadObjectCommand({ Bucket: h.output, Key: 'results/twice.png.json' }));
    const calls = h.stats.detectCalls;
    const second = (await (await post(s3Event(['twice.png']))).json()) as { records: { status: string; reason: string }[] };
    expect(second.records).toEqual([expect.objectContaining({ status: 'skipped', reason: 'already-done' })]);
    expect(h.stats.detectCalls).toBe(calls);
    const after = await h.admin.send(new HeadObjectCommand({ Bucket: h.output, Key: 'results/twice.png.json' }));
    expect([after.ETag, after.LastModified]).toEqual([before.ETag, before.LastModified]);
  });

  it('holds at most DETECTFN_EVENTS_CONCURRENCY objects in memory during a burst of 40 events', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `burst/${i}.png`);
    const img = await image(6);
    await Promise.all(keys.map((k) => h.put(k, img)));
    // Earlier failures (a missing or oversized object) never reach detect(): start from zero.
    Object.assign(h.stats, { live: 0, peakLive: 0 });
    const res = await Promise.all([post(s3Event(keys.slice(0, 20))), ...keys.slice(20).map((k) => post(s3Event([k])))]);
    expect(res.map((r) => r.status)).toEqual(res.map(() => 200));
    expect(h.stats.peakLive).toBeGreaterThan(1);
    expect(h.stats.peakLive).toBeLessThanOrEqual(4);
    expectShapesFound((await result('burst/39.png'))!, 6);
  });
});
