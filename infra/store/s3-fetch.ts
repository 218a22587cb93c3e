/**
 * @module infra/store/s3-fetch
 * One s3:// fetch: cache lookup by sha256 (no network at all) or by URI + ETag (one HEAD), else
 * a GET into the cache, verified by length and sha256 before it becomes visible. The whole
 * HEAD + GET round is retried on transient errors, so a changed object is HEADed again.
 * The result holds a pin on its cache entry (taken before the lookup or the download), so no
 * eviction can delete the file before the store hands it out; create-model-store.ts gives each
 * caller its own pin and then drops this one.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { withRetries } from './backoff.js';
import type { DiskCache } from './disk-cache.js';
import { isTransient, shaMismatchError } from './errors.js';
import type { ResolvedStoreOptions } from './options.js';
import { downloadObject, headObject, type ObjectRef } from './s3-source.js';
import { discard } from './temp-file.js';
import type { FetchedModel } from './types.js';

/** A fetched model whose cache entry is pinned until `unpin()`. */
export interface PinnedModel {
  readonly model: Omit<FetchedModel, 'release'>;
  readonly key: string;
  readonly unpin: () => void;
}

export interface S3FetchDeps {
  readonly o: ResolvedStoreOptions;
  readonly cache: DiskCache;
  readonly client: () => S3Client;
}

const cacheKey = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

export async function fetchS3(deps: S3FetchDeps, uri: string, ref: ObjectRef, sha256: string | undefined): Promise<PinnedModel> {
  const { o, cache } = deps;
  const t0 = o.now();
  /** The entry, pinned first so that no eviction running meanwhile can remove it. */
  const cached = async (key: string): Promise<PinnedModel | undefined> => {
    const unpin = cache.pin(key);
    const e = await cache.get(key);
    if (!e) return void unpin();
    const model = { path: e.path, bytes: e.bytes, cached: true, downloadMs: o.now() - t0, sha256: e.sha256, ...(e.etag ? { etag: e.etag } : {}) };
    return { model, key, unpin };
  };
  if (sha256) {
    const hit = await cached(cacheKey('sha256', sha256));
    if (hit) return hit;
  }
  const policy = { policy: o.retries, sleep: o.sleep, random: o.random, isTransient, logger: o.logger, context: { uri } };
  return withRetries(async (attempt) => {
    const head = await headObject(deps.client(), ref);
    const key = sha256 ? cacheKey('sha256', sha256) : cacheKey('etag', uri, head.etag);
    if (!sha256) {
      const hit = await cached(key);
      if (hit) return hit;
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
      const model = { path: e.path, bytes: e.bytes, cached: false, downloadMs, sha256: e.sha256, ...(e.etag ? { etag: e.etag } : {}) };
      return { model, key, unpin }; // the download's pin goes to the caller
    } catch (err) {
      unpin();
      throw err;
    }
  }, policy);
}
