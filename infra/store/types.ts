/**
 * @module infra/store/types
 * The model store: turns a model URI (s3://bucket/key, file://..., a plain path) into a local
 * file path, downloading S3 objects once into a bounded disk cache.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Clock } from '../../core/ports/index.js';

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

export interface ModelStore {
  fetch(uri: string, opts?: FetchOptions): Promise<FetchedModel>;
}

/** Structured logging, satisfied by a pino Logger; the store's default drops everything. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface S3Options {
  /**
   * A ready client (tests); otherwise one is built from the options and the environment. The
   * built one has the SDK's own retries off; an injected client keeps its own, which then run
   * inside each of the store's attempts.
   */
  readonly client?: S3Client;
  /** @default AWS_ENDPOINT_URL_S3 ?? AWS_ENDPOINT_URL ?? the AWS endpoint */
  readonly endpoint?: string;
  /** @default AWS_REGION ?? AWS_DEFAULT_REGION ?? 'us-east-1' */
  readonly region?: string;
  /** @default DETECTFN_S3_FORCE_PATH_STYLE === 'true' | '1' */
  readonly forcePathStyle?: boolean;
  /** TCP connect limit: an unreachable endpoint fails the attempt instead of hanging on the OS's SYN retries. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Longest silence on an open connection (not the whole transfer, which may be large). @default 30000 */
  readonly socketTimeoutMs?: number;
}

export interface RetryPolicy {
  /** Total tries, first included. @default 4 */
  readonly attempts: number;
  /** Delay before the first retry; doubles each time. @default 200 */
  readonly baseDelayMs: number;
  /** @default 5000 */
  readonly maxDelayMs: number;
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
