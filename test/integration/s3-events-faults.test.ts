/**
 * S3 events while the S3 gateway dies and comes back: a radosgw of this file's own (the
 * suite's shared one must stay up), stopped with stopGateway() (SIGTERM to the gateway only:
 * the cluster and every stored object stay) and started again on the same port. The server
 * is the real one with the real demo model; events are posted to its webhook by a sender that
 * redelivers what the webhook answers 503 for, as a persistent bucket notification would.
 * Afterwards the output is listed: every input key must have exactly one result or one error
 * record, none both, none missing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { capturingLogger } from '../helpers/capture-logger.js';
import { type EventHarness, startEventHarness } from '../helpers/event-harness.js';
import { type Radosgw, startRadosgw } from '../helpers/radosgw.js';
import { repoRoot } from '../helpers/shared-data.js';
import { shapeImage } from '../helpers/shape-images.js';

const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
const DEMO = path.join(repoRoot, 'models/demo.json');
const log = capturingLogger('info');
let rgw: Radosgw;
let h: EventHarness;
/** The test's hook into the server's GetObject: the Nth GET under a prefix waits for `release`. */
let hold: { prefix: string; nth: number; seen: number; reached: () => void; release: Promise<void> } | undefined;

beforeAll(async () => {
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  rgw = await startRadosgw();
  h = await startEventHarness(rgw, [DEMO], log.logger, {
    config: { DETECTFN_EVENTS_CONCURRENCY: 4, DETECTFN_EVENTS_MAX_RECORDS: 100 },
    holdGet: (_bucket, key) => {
      if (!hold || !key.startsWith(hold.prefix) || ++hold.seen !== hold.nth) return undefined;
      hold.reached();
      return hold.release;
    },
  });
});
afterAll(async () => {
  await h?.close();
  await rgw?.stop();
});

/** Arms the hold; resolves once the Nth GET waits, then stops the gateway and lets that GET go. */
function stopGatewayAtGet(prefix: string, nth: number): { stopped: Promise<void> } {
  let reached!: () => void;
  let release!: () => void;
  const atGet = new Promise<void>((r) => (reached = r));
  hold = { prefix, nth, seen: 0, reached, release: new Promise<void>((r) => (release = r)) };
  const stopped = atGet.then(async () => {
    await rgw.stopGateway();
    release();
  });
  return { stopped };
}

const event = (keys: readonly string[]) => ({
  Records: keys.map((key) => ({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: h.input }, object: { key } } })),
});

/** Posts until the answer is not 503 (at most `tries`), returning every status seen. */
async function deliver(keys: readonly string[], tries = 8): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < tries; i++) {
    const res = await fetch(`${h.server.url}/v1/events/s3`, { method: 'POST', body: JSON.stringify(event(keys)) });
    await res.arrayBuffer();
    statuses.push(res.status);
    if (res.status !== 503) return statuses;
    await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
  }
  return statuses;
}

async function listAll(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await h.admin.send(new ListObjectsV2Command({ Bucket: h.output, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Per input key: how many results and error records the output holds for it. */
async function outputCounts(prefix: string, keys: readonly string[]) {
  const results = new Set((await listAll(`results/${prefix}`)).map((k) => k.slice('results/'.length, -'.json'.length)));
  const errors = new Set((await listAll(`results/_errors/${prefix}`)).map((k) => k.slice('results/_errors/'.length, -'.json'.length)));
  const missing = keys.filter((k) => !results.has(k) && !errors.has(k));
  const both = keys.filter((k) => results.has(k) && errors.has(k));
  const strays = [...results, ...errors].filter((k) => !keys.includes(k));
  return { results: results.size, errors: errors.size, missing, both, strays };
}

const tinyImage = () => shapeImage(96, 96, [{ kind: 'rect', label: 'red', box: [10, 12, 60, 70] }], 'png');

async function putAll(keys: readonly string[]): Promise<void> {
  const body = await tinyImage();
  for (let i = 0; i < keys.length; i += 25) await Promise.all(keys.slice(i, i + 25).map((k) => h.put(k, body)));
}

describe('the S3 gateway stops during event processing', () => {
  it('fails the records it hits with 503 (nothing recorded wrongly), and the redelivery after the restart finishes every object once', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `stop/${i}.png`);
    await putAll(keys);
    const { stopped } = stopGatewayAtGet('stop/', 5);
    const first = fetch(`${h.server.url}/v1/events/s3`, { method: 'POST', body: JSON.stringify(event(keys)) });
    await stopped;
    // Longer than every retry of one S3 call (4 attempts, at most 0.2 + 0.4 + 0.8 s of backoff).
    await new Promise((r) => setTimeout(r, 2000));
    await rgw.startGateway();
    const res = await first;
    const body = (await res.json()) as { records: { key: string; status: string; error?: { code: string } }[] };
    expect(res.status).toBe(503);
    expect(body.records.filter((r) => r.status === 'failed').map((r) => r.error?.code)).toContain('STORE_ERROR');
    expect(await deliver(keys)).toEqual([200]);
    const counts = await outputCounts('stop/', keys);
    expect(counts).toEqual({ results: 20, errors: 0, missing: [], both: [], strays: [] });
  });
});

describe('a burst of 1,000 events with the gateway restarted midway', () => {
  it('ends with exactly one result or one error record for every object, none with both, none missing', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `burst/${String(i).padStart(4, '0')}.png`);
    await putAll(keys);
    const { stopped } = stopGatewayAtGet('burst/', 400);
    const restarted = stopped.then(async () => {
      await new Promise((r) => setTimeout(r, 1500));
      await rgw.startGateway();
    });
    // Ten webhook deliveries of 100 records at once, each redelivered while answered 503.
    const chunks = Array.from({ length: 10 }, (_, i) => keys.slice(i * 100, i * 100 + 100));
    const statuses = await Promise.all(chunks.map((c) => deliver(c)));
    await restarted;
    expect(statuses.flat()).toContain(503);
    expect(statuses.map((s) => s.at(-1))).toEqual(chunks.map(() => 200));
    const counts = await outputCounts('burst/', keys);
    expect(counts).toEqual({ results: 1000, errors: 0, missing: [], both: [], strays: [] });
  });
});
