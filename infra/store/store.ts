/**
 * @module infra/store/store
 * The model store: a model URI (`s3://bucket/key`, a `file://` URL or a plain path) -> a local
 * file the engine can open. S3 objects are downloaded once into a bounded disk cache
 * (infra/store/disk-cache); local files are read in place.
 *
 * - Concurrent fetches of one model share one in-flight promise (removed once settled), so ten
 *   cold callers cause one download. A caller's AbortSignal only detaches that caller; the
 *   shared download completes for the rest.
 * - Each caller gets its own lease on a cached file (`release()`): the LRU never evicts a model
 *   someone still serves, since a replacement engine worker may read it again at any time.
 * - An s3:// fetch costs no request at all when the sha256 is given and cached, one HEAD when
 *   the URI + ETag is cached, else a GET verified by length and sha256 before it becomes visible.
 *   The whole HEAD + GET round is retried on transient errors with exponential backoff and full
 *   jitter, so a changed object is HEADed again.
 * - Callers see typed errors: NOT_FOUND (missing object or file), INTEGRITY_ERROR (sha256 or
 *   length differs), STORE_ERROR (anything else, after retries).
 *
 * The retry helpers (`withRetries`, `isTransient`, `backoffDelay`) are shared: model loading,
 * engine restarts and the event processor retry with them too.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { DetectError, expectInteger, expectNumber, invalidParameterError, isDetectError } from '../../core/errors.js';
import type { Clock } from '../../core/types.js';
import { createDiskCache, discard, type DiskCache, hashFile, type StoreLogger } from './disk-cache.js';
import { createS3Client, downloadObject, headObject, type ObjectRef, type S3Options } from './s3.js';

export type { S3Options, StoreLogger };

export interface ModelStore {
  fetch(uri: string, opts?: FetchOptions): Promise<FetchedModel>;
}

export interface FetchOptions {
  /** Expected sha256 (hex). Also the cache key: a cached copy with this hash needs no HEAD. */
  readonly sha256?: string;
  /** Aborting rejects this caller with CANCELLED; a download shared with others goes on. */
  readonly signal?: AbortSignal;
}

export interface FetchedModel {
  /** Local path: the cache file for s3://, the file itself for file:// and plain paths. */
  readonly path: string;
  readonly bytes: number;
  /** True when no bytes were transferred (served from the disk cache or in place). */
  readonly cached: boolean;
  /** Wall time of this fetch: HEAD + GET + write for a download, the lookup/check otherwise. */
  readonly downloadMs: number;
  readonly etag?: string;
  /** Hex sha256 of the file, when it was computed or given and checked. */
  readonly sha256?: string;
  /**
   * Ends this caller's use of the file (call it when the model is closed): until then the
   * cache never evicts it. Idempotent; a no-op for files read in place.
   */
  readonly release: () => void;
}

export interface ModelStoreOptions {
  readonly cacheDir: string;
  /** LRU bound on the cache dir's model files. @default 4 GiB */
  readonly maxCacheBytes?: number;
  readonly s3?: S3Options;
  readonly retries?: Partial<RetryPolicy>;
  readonly logger?: StoreLogger;
  /** Timings. @default performance.now */
  readonly clock?: Pick<Clock, 'now'>;
  /** Backoff waits (a fake in tests). @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

export interface RetryPolicy {
  /** Total tries, first included. @default 4 */
  readonly attempts: number;
  /** Delay before the first retry; doubles each time. @default 200 */
  readonly baseDelayMs: number;
  /** @default 5000 */
  readonly maxDelayMs: number;
}

export function createModelStore(options: ModelStoreOptions): ModelStore {
  const o = resolveStoreOptions(options);
  const cache = createDiskCache(o.cacheDir, o.maxCacheBytes, o.logger);
  let client: S3Client | undefined;
  const deps = { o, cache, client: () => (client ??= createS3Client(o.s3)) };
  const inflight = new Map<string, Promise<Loaded>>();

  const load = async (uri: string, sha256: string | undefined): Promise<Loaded> => {
    const loc = parseModelUri(uri);
    try {
      return loc.kind === 's3' ? await fetchS3(deps, uri, loc, sha256) : { model: await fetchLocal(uri, loc.path, sha256, o.now) };
    } catch (err) {
      const e = finalError(uri, err, o.retries.attempts);
      o.logger.error({ uri, code: e.code, err: e.message }, 'model store: fetch failed');
      throw e;
    }
  };

  return {
    async fetch(uri, opts = {}) {
      const sha256 = normalizeSha256(opts.sha256);
      const flightKey = `${uri}\0${sha256 ?? ''}`;
      let p = inflight.get(flightKey);
      if (!p) {
        p = load(uri, sha256);
        inflight.set(flightKey, p);
        const forget = () => inflight.get(flightKey) === p && inflight.delete(flightKey);
        p.then(forget, forget);
        // The load's own pin outlives the reactions below, where every caller takes its own.
        p.then((l) => setImmediate(() => l.unpin?.()), () => {});
      }
      const lease = (l: Loaded): FetchedModel => ({ ...l.model, release: l.key ? cache.pin(l.key) : () => {} });
      return opts.signal ? detachable(p, opts.signal, uri, lease) : p.then(lease);
    },
  };
}

/** What a load resolves to: an S3 model pinned in the cache, or a file read in place. */
type Loaded = Pick<PinnedModel, 'model'> & Partial<Omit<PinnedModel, 'model'>>;

/**
 * Rejects with CANCELLED when `signal` aborts first; `p` itself runs on. The lease is taken
 * only for a caller still waiting, so a cancelled caller leaves no pin behind.
 */
function detachable(p: Promise<Loaded>, signal: AbortSignal, uri: string, lease: (l: Loaded) => FetchedModel): Promise<FetchedModel> {
  const cancelled = () => new DetectError('CANCELLED', `fetch of ${uri} cancelled`, { cause: signal.reason });
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<FetchedModel>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((l) => !signal.aborted && resolve(lease(l)), reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

// Options are defaulted and checked once, when the store is made.
export const DEFAULT_MAX_CACHE_BYTES = 4 * 1024 ** 3;

export interface ResolvedStoreOptions {
  readonly cacheDir: string;
  readonly maxCacheBytes: number;
  readonly s3: S3Options;
  readonly retries: RetryPolicy;
  readonly logger: StoreLogger;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

const SILENT: StoreLogger = Object.freeze({ info() {}, warn() {}, error() {} });

export function resolveStoreOptions(o: ModelStoreOptions): ResolvedStoreOptions {
  if (typeof o?.cacheDir !== 'string' || o.cacheDir.length === 0) {
    throw invalidParameterError('cacheDir', 'a non-empty directory path', o?.cacheDir);
  }
  const r = { ...DEFAULT_RETRY_POLICY, ...o.retries };
  const clock = o.clock;
  return {
    // Resolved once, here: the cache compares its entries' directory with this, and a relative
    // or slash-ended spelling ('./x', '/tmp/x/') must not make its start-up scan drop them.
    cacheDir: path.resolve(o.cacheDir),
    maxCacheBytes: expectInteger('maxCacheBytes', o.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES, 1),
    s3: o.s3 ?? {},
    retries: {
      attempts: expectInteger('retries.attempts', r.attempts, 1, 20),
      baseDelayMs: expectNumber('retries.baseDelayMs', r.baseDelayMs, 0),
      maxDelayMs: expectNumber('retries.maxDelayMs', r.maxDelayMs, 0),
    },
    logger: o.logger ?? SILENT,
    now: clock ? () => clock.now() : () => performance.now(),
    sleep: o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: o.random ?? Math.random,
  };
}

/** Lower-case hex sha256, or a typed error naming the option. */
export function normalizeSha256(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) throw invalidParameterError('sha256', '64 hex characters', v);
  return v.toLowerCase();
}

// Model locations: `s3://bucket/key` goes through S3; `file://` URLs and plain paths are read in
// place. Anything else (http://, gs://) is rejected up front rather than read as a relative path.
export type ModelLocation =
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'file'; readonly path: string };

export function parseModelUri(uri: string): ModelLocation {
  if (typeof uri !== 'string' || uri.length === 0) throw invalidParameterError('uri', 's3://bucket/key, file:// URL or path', uri);
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (s3) return { kind: 's3', bucket: s3[1]!, key: s3[2]! };
  if (uri.startsWith('file://')) {
    try {
      return { kind: 'file', path: fileURLToPath(uri) };
    } catch {
      throw invalidParameterError('uri', 'an absolute file:// URL', uri);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw invalidParameterError('uri', 's3://bucket/key, file:// URL or path', uri);
  return { kind: 'file', path: path.resolve(uri) };
}

/**
 * A file:// URL or plain path, served in place (no copy into the cache) with the same integrity
 * check as downloads. A mismatching file is reported, never deleted: it is not ours.
 */
export async function fetchLocal(uri: string, file: string, sha256: string | undefined, now: () => number): Promise<Omit<FetchedModel, 'release'>> {
  const t0 = now();
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw notFoundError(uri, err);
    throw err;
  });
  if (!st.isFile()) throw invalidParameterError('uri', 'a model file', uri);
  if (sha256 !== undefined) {
    const actual = await hashFile(file);
    if (actual !== sha256) throw shaMismatchError(uri, sha256, actual);
  }
  return { path: file, bytes: st.size, cached: true, downloadMs: now() - t0, ...(sha256 ? { sha256 } : {}) };
}

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

/**
 * One s3:// fetch: the cache by sha256 (no request), else HEAD and the cache by URI + ETag, else
 * a GET into the cache. The result holds a pin on its cache entry, taken before the lookup or
 * the download, so no eviction can delete the file before the store hands it out;
 * createModelStore gives each caller its own pin and then drops this one.
 */
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

// Retries with exponential backoff and full jitter ("Exponential Backoff And Jitter", AWS
// architecture blog): delay = random * min(max, base * 2^retry). Full jitter spreads a fleet of
// cold-starting functions that all hit a throttled bucket at once.
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({ attempts: 4, baseDelayMs: 200, maxDelayMs: 5000 });

/** Delay before retry number `retry` (0 = the first retry). */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * cap);
}

export interface RetryDeps {
  readonly policy: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly isTransient: (err: unknown) => boolean;
  readonly logger: StoreLogger;
  /** Context for the log lines (uri). */
  readonly context: Record<string, unknown>;
  /** Told before each backoff wait, so a caller can show the retry (readiness reason). */
  readonly onRetry?: (retry: { attempt: number; attempts: number; delayMs: number; err: unknown }) => void;
}

/**
 * Runs `fn` until it succeeds, fails with a permanent error, or runs out of attempts.
 * Rejects with the last error; the caller decides how to wrap it.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, deps: RetryDeps): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= deps.policy.attempts || !deps.isTransient(err)) throw err;
      const delayMs = backoffDelay(attempt - 1, deps.policy, deps.random);
      deps.logger.warn({ ...deps.context, attempt, delayMs, err: String(err) }, 'transient error, retrying');
      deps.onRetry?.({ attempt, attempts: deps.policy.attempts, delayMs, err });
      await deps.sleep(delayMs);
    }
  }
}

// Which failures are worth a retry, and the typed errors callers see.
const TRANSIENT_NAMES = new Set([
  'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'Throttling', 'ThrottlingException',
  'SlowDown', 'TooManyRequestsException', 'RequestLimitExceeded', 'InternalError', 'ServiceUnavailable',
  // The object changed between HEAD and GET (If-Match): HEAD again.
  'PreconditionFailed',
]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET']);

interface AwsLike {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

export function httpStatusOf(err: unknown): number | undefined {
  return (err as AwsLike | undefined)?.$metadata?.httpStatusCode;
}

/** 5xx, 429, throttling, timeouts, connection resets and truncated transfers; never 403/404. */
export function isTransient(err: unknown): boolean {
  if (isDetectError(err)) return err.code === 'INTEGRITY_ERROR' && err.details?.truncated === true;
  const e = err as AwsLike | undefined;
  if (!e || typeof e !== 'object') return false;
  const status = httpStatusOf(err);
  if (status !== undefined && (status >= 500 || status === 429 || status === 412)) return true;
  if (status !== undefined && status >= 400) return false;
  if ((e.name && TRANSIENT_NAMES.has(e.name)) || (e.code && TRANSIENT_CODES.has(e.code))) return true;
  return e.cause !== undefined && e.cause !== err && isTransient(e.cause);
}

/** A missing object or bucket, however the SDK or the server names it. */
export function isNotFound(err: unknown): boolean {
  const name = (err as AwsLike | undefined)?.name;
  return httpStatusOf(err) === 404 || name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound';
}

export function notFoundError(uri: string, cause?: unknown): DetectError {
  return new DetectError('NOT_FOUND', `model ${uri} not found`, { cause, details: { uri } });
}

export function shaMismatchError(uri: string, expected: string, actual: string): DetectError {
  return new DetectError('INTEGRITY_ERROR', `model ${uri}: sha256 ${actual} does not match the expected ${expected}`, {
    details: { uri, expected, actual },
  });
}

/** The error a caller sees once retries are spent: typed errors pass, the rest is STORE_ERROR. */
export function finalError(uri: string, err: unknown, attempts: number): DetectError {
  if (isDetectError(err)) return err;
  if (isNotFound(err)) return notFoundError(uri, err);
  const status = httpStatusOf(err);
  const what = status ? `HTTP ${status} ${(err as AwsLike).name ?? ''}`.trim() : String((err as Error)?.message ?? err);
  const tries = !isTransient(err) ? '(not retryable)' : attempts > 1 ? `after ${attempts} attempt(s)` : '(transient)';
  return new DetectError('STORE_ERROR', `model ${uri}: fetch failed ${tries}: ${what}`, {
    cause: err,
    details: { uri, status },
  });
}
