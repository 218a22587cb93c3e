/**
 * @module infra/store/options
 * Defaults and one-time validation of ModelStoreOptions.
 */
import path from 'node:path';
import { expectInteger, expectNumber, invalidParameterError } from '../../core/validate/index.js';
import { DEFAULT_RETRY_POLICY } from './backoff.js';
import type { ModelStoreOptions, RetryPolicy, S3Options, StoreLogger } from './types.js';

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
