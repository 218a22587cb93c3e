/**
 * @module test/e2e/emulation/event-step
 * Step 7: an image lands in the incoming bucket, its S3 notification is POSTed to
 * /v1/events/s3 (what an S3 -> webhook / SQS bridge delivers), and the result JSON must appear
 * in the results bucket with the same detections the reference has.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { compareDetections, type RefDetection } from '../../helpers/reference-detections.js';
import { BUCKETS, putImage, readJson, RESULT_PREFIX, s3PutEvent } from './s3-fixture.js';

export interface EventCheck {
  /** processed: the results object exists; route-missing: the service has no events route. */
  readonly status: 'processed' | 'route-missing' | 'failed';
  readonly httpStatus: number;
  readonly response: unknown;
  readonly resultKey?: string;
  readonly mismatches: string[];
  readonly ms: number;
}

export interface EventStepInput {
  readonly base: string;
  readonly s3: S3Client;
  readonly image: string;
  readonly reference: readonly RefDetection[];
  /** @default 30_000 */
  readonly resultTimeoutMs?: number;
}

const INPUT_KEY = 'cameras/gate 1/bus.jpg'; // a space: keys arrive URL-encoded in events

export async function deliverEvent(i: EventStepInput): Promise<EventCheck> {
  const t0 = performance.now();
  const { eTag, size } = await putImage(i.s3, INPUT_KEY, i.image);
  const res = await fetch(`${i.base}/v1/events/s3`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(s3PutEvent(BUCKETS.images, INPUT_KEY, size, eTag)),
  });
  const response = await res.json().catch(() => undefined);
  const done = (status: EventCheck['status'], mismatches: string[], resultKey?: string): EventCheck =>
    ({ status, httpStatus: res.status, response, mismatches, ms: performance.now() - t0, ...(resultKey ? { resultKey } : {}) });
  if (res.status === 404 && !JSON.stringify(response ?? '').includes('NoSuch')) return done('route-missing', ['POST /v1/events/s3 answered 404']);
  if (!res.ok) return done('failed', [`POST /v1/events/s3 answered ${res.status}: ${JSON.stringify(response)}`]);

  // The route answers after processing; the poll only covers stores with delayed visibility.
  const resultKey = `${RESULT_PREFIX}${INPUT_KEY}.json`;
  const deadline = Date.now() + (i.resultTimeoutMs ?? 30_000);
  for (;;) {
    const result = (await readJson(i.s3, BUCKETS.results, resultKey)) as { detections?: RefDetection[] } | undefined;
    if (result) return done('processed', compareDetections(result.detections ?? [], i.reference), resultKey);
    if (Date.now() > deadline) return done('failed', [`no s3://${BUCKETS.results}/${resultKey} after the event`]);
    await new Promise((r) => setTimeout(r, 250));
  }
}
