/**
 * @module infra/store/create-model-store
 * `createModelStore`: the ModelStore over S3 and local files. Concurrent fetches of one model
 * share one in-flight promise (removed once settled), so ten cold callers cause one download.
 * A caller's AbortSignal only detaches that caller; the shared download completes for the rest.
 * Each caller gets its own lease on a cached file (`release()`): the LRU never evicts a model
 * someone still serves, since a replacement engine worker may read it again at any time.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { DetectError } from '../../core/errors/index.js';
import { createDiskCache } from './disk-cache.js';
import { finalError } from './errors.js';
import { fetchLocal } from './local-source.js';
import { normalizeSha256, resolveStoreOptions } from './options.js';
import { fetchS3, type PinnedModel } from './s3-fetch.js';
import { createS3Client } from './s3-source.js';
import type { FetchedModel, ModelStore, ModelStoreOptions } from './types.js';
import { parseModelUri } from './uri.js';

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
