/**
 * S3 events end to end on the real radosgw and the real demo model: radosgw's own bucket
 * notifications pushed to the running server's webhook, then SQS- and EventBridge-shaped
 * deliveries of the same kind of objects, bad objects among good ones, duplicates, a burst;
 * then what must never be overwritten or lost: traversal keys, out-of-order versions, stale
 * error records, the bucket allowlist and the per-request record cap.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { compareSequencers } from '../../infra/events/records.js';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { capturingLogger } from '../helpers/capture-logger.js';
import { type EventHarness, postEvent, s3PutEvent, startEventHarness, waitFor } from '../helpers/event-harness.js';
import { repoRoot } from '../helpers/shared-data.js';
import { type Box, type DrawnShape, shapeImage } from '../helpers/shape-images.js';

const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
const DEMO = path.join(repoRoot, 'models/demo.json');
const MAX_BYTES = 300_000;
let h: EventHarness;
const log = capturingLogger();

beforeAll(async () => {
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  h = await startEventHarness(inject('radosgw'), [DEMO], log.logger, { config: { DETECTFN_EVENTS_CONCURRENCY: 4, DETECTFN_EVENTS_MAX_OBJECT_BYTES: MAX_BYTES } });
});
afterAll(async () => h?.close());

type Result = { model: { name: string; version: string }; input: { bucket: string; key: string; eTag: string }; image: { width: number; height: number }; detections: { box: Box; label: string }[]; timings: Record<string, number> };
const shapes = (i: number): DrawnShape[] => [{ kind: 'rect', label: 'red', box: [20 + i, 30, 120 + i, 150] }, { kind: 'circle', label: 'blue', box: [180, 160, 290, 290] }];
const image = (i = 0) => shapeImage(320, 320, shapes(i), 'png');
const result = async (key: string) => JSON.parse((await h.getText(h.output, `results/${key}.json`)) ?? 'null') as Result | null;
const post = (body: unknown) => postEvent(h, body);
const s3Event = (keys: string[], bucket = h.input) => s3PutEvent(keys, bucket);

function expectShapesFound(r: Result, i: number): void {
  expect(r.detections.map((d) => d.label).sort()).toEqual(['blue', 'red']);
  for (const s of shapes(i)) {
    const got = r.detections.find((d) => d.label === s.label)!.box;
    got.forEach((v, j) => expect(Math.abs(v - s.box[j]!), `${s.label} coord ${j}: ${got} vs ${s.box}`).toBeLessThanOrEqual(3));
  }
}

describe('real radosgw bucket notifications to POST /v1/events/s3', () => {
  const KEYS = ['plain.png', 'nested/dir/red flower.png', 'a+b=c&d.png', 'ünï/çødé 猫.png', 'pct%20x.png'];

  it('detects every PUT object (spaces, +, %, unicode, nested) and writes its result where its key says', async () => {
    // A bucket of its own: the tests below deliver events themselves and count what happens.
    const bucket = await h.notifiedBucket();
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
    // The same key PUT again: radosgw's sequencer (rewritten from its little-endian form) must
    // order the second event after the first, or the new image would be skipped as superseded.
    const first = (await result(KEYS[0]))!.input as { sequencer?: string };
    await h.admin.send(new PutObjectCommand({ Bucket: bucket, Key: KEYS[0], Body: await image(9) }));
    const second = await waitFor(async () => {
      const r = await result(KEYS[0]);
      return r && Math.abs(r.detections.find((d) => d.label === 'red')!.box[0] - 29) <= 3 ? r : undefined;
    }, `the second PUT's result of ${KEYS[0]}`);
    expectShapesFound(second, 9);
    expect(compareSequencers((second.input as { sequencer?: string }).sequencer!, first.sequencer!)).toBe(1);
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

type Outcome = { key: string; bucket: string; status: string; reason?: string; errorKey?: string; resultKey?: string; error?: { code: string; message: string } };
const outcomes = async (res: Response) => ((await res.json()) as { records: Outcome[] }).records;
const headOut = (key: string) => h.admin.send(new HeadObjectCommand({ Bucket: h.output, Key: key }));
async function listKeys(bucket: string, prefix = ''): Promise<string[]> {
  const out = await h.admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!);
}

describe('nothing overwritten, nothing lost', () => {
  it('refuses keys with empty, . or .. segments unread, and their error records land where nothing else can', async () => {
    await h.put('trav/bus.png', await image(7));
    expect((await post(s3Event(['trav/bus.png']))).status).toBe(200);
    const before = await headOut('results/trav/bus.png.json');
    const before2 = await h.admin.send(new ListObjectsV2Command({ Bucket: h.output, Prefix: 'results/' }));
    const bad = ['trav/x/../bus.png', 'trav/a/../../trav/bus.png', 'trav/./bus.png', 'trav//bus.png', '_errors/trav/bus.png'];
    const gets = h.stats.gets.length;
    const res = await post(s3Event(bad));
    expect(res.status).toBe(207);
    const recs = await outcomes(res);
    expect(recs.map((r) => [r.key, r.status, r.error?.code])).toEqual(bad.map((k) => [k, 'failed', 'INVALID_ARGUMENT']));
    expect(recs[0]!.error!.message).toContain(`"trav/x/../bus.png" has a '..' segment`);
    // Logged once each, with the request id the webhook answered.
    const reqId = res.headers.get('x-request-id');
    const failedLines = log.lines.filter((l) => l.msg === 'event: object failed' && bad.includes((l.record as { input: { key: string } }).input.key));
    const lineOf = (l: Record<string, unknown>) => { const r = l.record as { code: string; input: { key: string } }; return `${String(l.reqId)} ${r.code} ${r.input.key}`; };
    expect(failedLines.map(lineOf).sort()).toEqual(bad.map((k) => `${reqId} INVALID_ARGUMENT ${k}`).sort());
    // Nothing was read: the refusal comes before any S3 call on the input.
    expect(h.stats.gets.slice(gets)).toEqual([]);
    // The real result is untouched, and no error record sits where bus.png's own would go.
    const after = await headOut('results/trav/bus.png.json');
    expect([after.ETag, after.LastModified]).toEqual([before.ETag, before.LastModified]);
    expect(await h.getText(h.output, 'results/_errors/trav/bus.png.json')).toBeUndefined();
    // Each refused key got its own record under _refused/, named by a hash, the raw key inside.
    const keys = recs.map((r) => r.errorKey!);
    expect(new Set(keys).size).toBe(bad.length);
    for (const [i, k] of keys.entries()) {
      expect(k).toMatch(/^results\/_errors\/_refused\/[0-9a-f]{64}$/);
      expect(JSON.parse((await h.getText(h.output, k))!)).toMatchObject({ input: { bucket: h.input, key: bad[i] }, code: 'INVALID_ARGUMENT' });
    }
    const added = (await listKeys(h.output, 'results/')).filter((k) => !(before2.Contents ?? []).some((o) => o.Key === k));
    expect(added.sort()).toEqual([...keys].sort());
  });

  it('on a versioned bucket, reads the version the event names and never lets a late event for an older version overwrite the newer result', async () => {
    const bucket = `${h.input}-versioned`;
    await h.admin.send(new CreateBucketCommand({ Bucket: bucket }));
    await h.admin.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const putVersion = async (i: number) => (await h.admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'v/photo.png', Body: await image(i) }))).VersionId!;
    const [v1, v2] = [await putVersion(10), await putVersion(20)];
    expect(v1).not.toBe(v2);
    // The sender is this test: records as S3 writes them, sequencers growing with each PUT.
    const ev = (versionId: string, sequencer: string) => ({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: 'v/photo.png', versionId, sequencer } } }] });
    expect((await post(ev(v1, '0062A1F0000000000A'))).status).toBe(200);
    let r = (await result('v/photo.png'))!;
    expectShapesFound(r, 10);
    expect(r.input).toMatchObject({ bucket, versionId: v1, sequencer: '0062A1F0000000000A' });
    expect((await post(ev(v2, '0062A1F0000000000B'))).status).toBe(200);
    r = (await result('v/photo.png'))!;
    expectShapesFound(r, 20);
    expect(r.input).toMatchObject({ versionId: v2 });
    // The v1 event again, late (a redelivery): skipped before any read, v2's result stays.
    const [gets, calls] = [h.stats.gets.length, h.stats.detectCalls];
    const late = await post(ev(v1, '62A1F0000000000A'));
    expect(late.status).toBe(200);
    expect(await outcomes(late)).toEqual([expect.objectContaining({ status: 'skipped', reason: 'superseded' })]);
    expect([h.stats.gets.length, h.stats.detectCalls]).toEqual([gets, calls]);
    expectShapesFound((await result('v/photo.png'))!, 20);
    expect((await headOut('results/v/photo.png.json')).Metadata).toMatchObject({ 'detectfn-input-version-id': encodeURIComponent(v2), 'detectfn-sequencer': '0062A1F0000000000B' });
    // v3 is not an image: its failure is the newest word on the key, and a late v2 event
    // does not bury it; v4 then succeeds and its result replaces the error record.
    const v3 = (await h.admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'v/photo.png', Body: new TextEncoder().encode('not an image') }))).VersionId!;
    expect((await post(ev(v3, '0062A1F0000000000C'))).status).toBe(207);
    expect(JSON.parse((await h.getText(h.output, 'results/_errors/v/photo.png.json'))!)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', input: { versionId: v3 } });
    expect(await outcomes(await post(ev(v2, '0062A1F0000000000B')))).toEqual([expect.objectContaining({ status: 'skipped', reason: 'superseded' })]);
    expect(await h.getText(h.output, 'results/_errors/v/photo.png.json')).toBeDefined();
    const v4 = await putVersion(40);
    expect((await post(ev(v4, '0062A1F0000000000D'))).status).toBe(200);
    expectShapesFound((await result('v/photo.png'))!, 40);
    expect(await h.getText(h.output, 'results/_errors/v/photo.png.json')).toBeUndefined();
  });

  it('removes an object\'s error record once a later delivery succeeds', async () => {
    const first = await post(s3Event(['late/arrival.png']));
    expect(first.status).toBe(207);
    expect(JSON.parse((await h.getText(h.output, 'results/_errors/late/arrival.png.json'))!)).toMatchObject({ code: 'NOT_FOUND' });
    await h.put('late/arrival.png', await image(11));
    expect((await post(s3Event(['late/arrival.png']))).status).toBe(200);
    expectShapesFound((await result('late/arrival.png'))!, 11);
    expect(await h.getText(h.output, 'results/_errors/late/arrival.png.json')).toBeUndefined();
    expect(log.lines.some((l) => l.msg === 'event: stale error record removed' && l.errorKey === 'results/_errors/late/arrival.png.json')).toBe(true);
  });

  it('refuses more records per request than DETECTFN_EVENTS_MAX_RECORDS (413) before reading anything', async () => {
    const gets = h.stats.gets.length;
    const res = await post(s3Event(Array.from({ length: 101 }, (_, i) => `cap/${i}.png`)));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/101 records; the limit per request is 100 \(DETECTFN_EVENTS_MAX_RECORDS\)/) } });
    expect(h.stats.gets.length).toBe(gets);
  });
});

describe('DETECTFN_EVENTS_BUCKETS', () => {
  const alog = capturingLogger();
  let a: EventHarness;
  beforeAll(async () => {
    a = await startEventHarness(inject('radosgw'), [DEMO], alog.logger, { config: ({ input }) => ({ DETECTFN_EVENTS_BUCKETS: [input, `${input}-second`] }) });
  });
  afterAll(async () => a?.close());

  it('refuses a bucket off the list without reading it, and keys results by bucket when several are allowed', async () => {
    const [second, foreign] = [`${a.input}-second`, `${a.input}-foreign`];
    for (const Bucket of [second, foreign]) await a.admin.send(new CreateBucketCommand({ Bucket }));
    // The same key in three buckets, each a different image.
    for (const [i, Bucket] of [a.input, second, foreign].entries()) await a.admin.send(new PutObjectCommand({ Bucket, Key: 'same.png', Body: await image(30 + i) }));
    const ev = { Records: [a.input, second, foreign].map((name) => ({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name }, object: { key: 'same.png' } } })) };
    const res = await fetch(`${a.server.url}/v1/events/s3`, { method: 'POST', body: JSON.stringify(ev) });
    expect(res.status).toBe(207);
    const recs = ((await res.json()) as { records: Outcome[] }).records;
    expect(recs.map((r) => [r.bucket, r.status, r.resultKey ?? r.error?.code])).toEqual([
      [a.input, 'processed', `results/${a.input}/same.png.json`], [second, 'processed', `results/${second}/same.png.json`], [foreign, 'failed', 'BUCKET_NOT_ALLOWED'],
    ]);
    for (const [i, b] of [a.input, second].entries()) expectShapesFound(JSON.parse((await a.getText(a.output, `results/${b}/same.png.json`))!), 30 + i);
    expect(a.stats.gets.filter((g) => g.startsWith(`${foreign}/`))).toEqual([]);
    expect(recs[2]!.errorKey).toMatch(/^results\/_errors\/_refused\/[0-9a-f]{64}$/);
    expect(JSON.parse((await a.getText(a.output, recs[2]!.errorKey!))!)).toMatchObject({ input: { bucket: foreign, key: 'same.png' }, code: 'BUCKET_NOT_ALLOWED' });
    expect(alog.lines.some((l) => l.msg === 'event: object failed' && (l.record as { code?: string })?.code === 'BUCKET_NOT_ALLOWED')).toBe(true);
    expect(await (await fetch(`${a.server.url}/metrics`)).text()).toMatch(/detectfn_s3_events_total\{outcome="failed"\} 1\b/);
    // With the list set there is no start-up warning; the suite's other server (list unset) logged one.
    expect(alog.lines.some((l) => l.variable === 'DETECTFN_EVENTS_BUCKETS')).toBe(false);
    expect(log.lines.filter((l) => l.variable === 'DETECTFN_EVENTS_BUCKETS').map((l) => l.level)).toEqual([40]);
  });
});
