/**
 * @module infra/store/s3
 * S3 access for the store (@aws-sdk/client-s3 v3): HEAD for the ETag, GET streamed to a temp file.
 * Endpoint and path style come from the options or the environment; credentials always from
 * the SDK's default chain (env, profile, web identity, container/instance roles). The SDK's own
 * retries are off: the store retries whole HEAD+GET rounds with its own backoff. Connect and
 * idle-socket timeouts bound each attempt (the SDK has neither by default, so a blackholed
 * endpoint held a cold start for the OS's minutes-long TCP retries).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { discard, type DiskCache, type PartialWrite, writeTempFile, type WrittenFile } from './disk-cache.js';
import { type FetchedModel, isTransient, type ResolvedStoreOptions, type S3Options, shaMismatchError, truncatedError, withRetries } from './store.js';

export function createS3Client(opts: S3Options = {}, env: NodeJS.ProcessEnv = process.env): S3Client {
  if (opts.client) return opts.client;
  const endpoint = opts.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const pathStyle = opts.forcePathStyle ?? ['true', '1'].includes(env.DETECTFN_S3_FORCE_PATH_STYLE ?? '');
  return new S3Client({
    region: opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: pathStyle,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: opts.connectTimeoutMs ?? 5000, socketTimeout: opts.socketTimeoutMs ?? 30_000 },
    // S3-compatible servers (radosgw) reject or mangle the SDK's default flexible checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
}

export async function headObject(client: S3Client, ref: ObjectRef): Promise<{ etag: string; bytes: number }> {
  const out = await client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  return { etag: stripQuotes(out.ETag ?? ''), bytes: out.ContentLength ?? -1 };
}

/**
 * GETs the object (If-Match the HEAD's ETag, so a concurrent overwrite is a 412 and a retry,
 * not a mix of versions) into a temp file in `dir`. A body shorter than Content-Length is a
 * truncated transfer (INTEGRITY_ERROR, retryable); the temp file is removed.
 */
export async function downloadObject(client: S3Client, ref: ObjectRef, etag: string, uri: string, dir: string): Promise<WrittenFile & { etag: string }> {
  const out = await client.send(
    new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(etag ? { IfMatch: `"${etag}"` } : {}) }),
  );
  const expected = out.ContentLength ?? -1;
  let file: WrittenFile;
  try {
    file = await writeTempFile(dir, out.Body as Readable);
  } catch (err) {
    const received = (err as PartialWrite).received ?? 0;
    if (expected >= 0 && received < expected) throw truncatedError(uri, expected, received, err);
    throw err;
  }
  if (expected >= 0 && file.bytes !== expected) {
    await discard(file.tempPath);
    throw truncatedError(uri, expected, file.bytes);
  }
  return { ...file, etag: stripQuotes(out.ETag ?? etag) };
}

const stripQuotes = (s: string) => s.replace(/^"|"$/g, '');

// ---- s3-fetch ----
// One s3:// fetch: cache lookup by sha256 (no network at all) or by URI + ETag (one HEAD), else
// a GET into the cache, verified by length and sha256 before it becomes visible. The whole
// HEAD + GET round is retried on transient errors, so a changed object is HEADed again.
// The result holds a pin on its cache entry (taken before the lookup or the download), so no
// eviction can delete the file before the store hands it out; create-model-store.ts gives each
// caller its own pin and then drops this one.
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
