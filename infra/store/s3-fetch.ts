/**
 * @module infra/store/s3-fetch
 * One s3:// fetch: cache lookup by sha256 (no network at all) or by URI + ETag (one HEAD), else
 * a GET into the cache, verified by length and sha256 before it becomes visible. The whole
 * HEAD + GET round is retried on transient errors, so a changed object is HEADed again.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { withRetries } from './backoff.js';
import type { CacheEntry, DiskCache } from './disk-cache.js';
import { isTransient, shaMismatchError } from './errors.js';
import type { ResolvedStoreOptions } from './options.js';
import { downloadObject, headObject, type ObjectRef } from './s3-source.js';
import { discard } from './temp-file.js';
import type { FetchedModel } from './types.js';

export interface S3FetchDeps {
  readonly o: ResolvedStoreOptions;
  readonly cache: DiskCache;
  readonly client: () => S3Client;
}

const cacheKey = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

export async function fetchS3(deps: S3FetchDeps, uri: string, ref: ObjectRef, sha256: string | undefined): Promise<FetchedModel> {
  const { o, cache } = deps;
  const t0 = o.now();
  const hit = (e: CacheEntry): FetchedModel => ({
    path: e.path, bytes: e.bytes, cached: true, downloadMs: o.now() - t0, sha256: e.sha256, ...(e.etag ? { etag: e.etag } : {}),
  });
  if (sha256) {
    const e = await cache.get(cacheKey('sha256', sha256));
    if (e) return hit(e);
  }
  const policy = { policy: o.retries, sleep: o.sleep, random: o.random, isTransient, logger: o.logger, context: { uri } };
  return withRetries(async (attempt) => {
    const head = await headObject(deps.client(), ref);
    const key = sha256 ? cacheKey('sha256', sha256) : cacheKey('etag', uri, head.etag);
    if (!sha256) {
      const e = await cache.get(key);
      if (e) return hit(e);
    }
    const unpin = cache.pin(key);
    try {
      const tGet = o.now();
      const file = await downloadObject(deps.client(), ref, head.etag, uri, o.cacheDir);
      if (sha256 && file.sha256 !== sha256) {
        await discard(file.tempPath);
        throw shaMismatchError(uri, sha256, file.sha256);
      }
      const e = await cache.put(key, file, { uri, etag: file.etag });
      const downloadMs = o.now() - t0;
      o.logger.info({ uri, bytes: e.bytes, etag: e.etag, attempt, getMs: o.now() - tGet, downloadMs }, 'model store: downloaded');
      return { path: e.path, bytes: e.bytes, cached: false, downloadMs, sha256: e.sha256, ...(e.etag ? { etag: e.etag } : {}) };
    } finally {
      unpin();
    }
  }, policy);
}
