/**
 * @module infra/events/s3-store
 * ObjectStore over @aws-sdk/client-s3 v3. The client comes from the caller (createS3Client in
 * infra/store builds one from the environment with maxAttempts 1): the event processor retries
 * whole operations itself with backoff, so SDK retries would only multiply the attempts.
 */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DetectError } from '../../core/errors/index.js';
import type { ObjectStore } from './object-store.js';
import { readLimited } from './read-limited.js';

const unquote = (etag: string | undefined) => etag?.replace(/^"+|"+$/g, '') || undefined;

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.$metadata?.httpStatusCode === 404 || e?.name === 'NoSuchKey' || e?.name === 'NotFound';
}

export function createS3ObjectStore(client: S3Client): ObjectStore {
  const head = async (bucket: string, key: string, versionId?: string) => {
    try {
      return await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return {
    async read(bucket, key, maxBytes, versionId) {
      let out;
      try {
        out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
      } catch (err) {
        if (isNotFound(err)) throw new DetectError('NOT_FOUND', `s3://${bucket}/${key} does not exist`, { cause: err });
        throw err;
      }
      const body = out.Body as unknown as Parameters<typeof readLimited>[0];
      const bytes = await readLimited(body, maxBytes, `s3://${bucket}/${key}`, out.ContentLength);
      return { bytes, eTag: unquote(out.ETag), versionId: out.VersionId || undefined };
    },
    eTagOf: async (bucket, key, versionId) => unquote((await head(bucket, key, versionId))?.ETag),
    metadataOf: async (bucket, key) => (await head(bucket, key))?.Metadata ?? undefined,
    async put(bucket, key, body, metadata) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', Metadata: metadata }));
    },
    async delete(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async *list(bucket, prefix) {
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
          if (o.Key !== undefined) yield { key: o.Key, size: o.Size, eTag: unquote(o.ETag) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
  };
}
