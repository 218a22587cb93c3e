/**
 * @module test/e2e/emulation/s3-fixture
 * Steps 3 and 7 on the S3 side: the buckets a deployment has (models, incoming images,
 * results), the uploaded model and its manifest, and reading a result object back.
 */
import { readFile } from 'node:fs/promises';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export const BUCKETS = { models: 'models', images: 'incoming', results: 'results' } as const;
export const MODEL_KEY = 'yolov8n/yolov8n.onnx';
export const MANIFEST_KEY = 'yolov8n/manifest.json';
export const RESULT_PREFIX = 'detections/';

/** The complete manifest of the served model: a name and where its weights live. */
export const manifest = () => ({ name: 'yolov8n', source: { uri: `s3://${BUCKETS.models}/${MODEL_KEY}` } });

export async function seedBuckets(s3: S3Client, modelPath: string): Promise<{ modelBytes: number }> {
  for (const Bucket of Object.values(BUCKETS)) await s3.send(new CreateBucketCommand({ Bucket }));
  const model = await readFile(modelPath);
  await s3.send(new PutObjectCommand({ Bucket: BUCKETS.models, Key: MODEL_KEY, Body: model }));
  const body = JSON.stringify(manifest(), null, 2);
  await s3.send(new PutObjectCommand({ Bucket: BUCKETS.models, Key: MANIFEST_KEY, Body: body, ContentType: 'application/json' }));
  return { modelBytes: model.length };
}

export async function putImage(s3: S3Client, key: string, file: string): Promise<{ eTag: string; size: number }> {
  const body = await readFile(file);
  const out = await s3.send(new PutObjectCommand({ Bucket: BUCKETS.images, Key: key, Body: body, ContentType: 'image/jpeg' }));
  return { eTag: (out.ETag ?? '').replaceAll('"', ''), size: body.length };
}

/** The object's JSON, or undefined while it does not exist. */
export async function readJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await out.Body!.transformToString());
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

/** An S3 "ObjectCreated:Put" notification as AWS sends it (the shape handlers/events parses). */
export function s3PutEvent(bucket: string, key: string, size: number, eTag: string): object {
  return {
    Records: [{
      eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      s3: { s3SchemaVersion: '1.0', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: encodeURIComponent(key), size, eTag } },
    }],
  };
}
