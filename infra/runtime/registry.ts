/**
 * @module infra/runtime/registry
 * The served models. Returned at once, so the server can listen (liveness) while the models
 * load; readiness turns true only when every model is fetched, cross-checked and warm.
 * A transient load failure (store unreachable, 5xx, timeout) is retried with backoff, bounded
 * by `loadRetries`; `status()` shows the model as loading with the last error meanwhile. A model
 * that still cannot load fails `whenReady()` with an error naming it, and shows as failed: the
 * entry points then exit non-zero, so the platform restarts the service.
 */
import { DetectError } from '../../core/errors/index.js';
import { usableCores } from '../host/usable-cores.js';
import { createSharpDecoder, describeJpegDecoder, sharpCounters } from '../image/index.js';
import { silentLogger } from '../log/index.js';
import { defaultManifestForOnnx, loadManifest, type ModelManifest } from '../manifest/index.js';
import { createModelStore } from '../store/index.js';
import { loadModel } from './load-model.js';
import { DEFAULT_LOAD_RETRY_POLICY, loadWithRetries } from './load-retries.js';
import type { ModelRegistry, ModelRegistryOptions, ModelService, ModelStatus } from './model-service.js';

const isManifestPath = (spec: string) => spec.toLowerCase().endsWith('.json');

/** A manifest path (.json), or a model path/URI that gets the default YOLOv8 manifest. */
export async function manifestFor(spec: string): Promise<ModelManifest> {
  return isManifestPath(spec) ? loadManifest(spec) : defaultManifestForOnnx(spec);
}

export function createModelRegistry(options: ModelRegistryOptions): ModelRegistry {
  const logger = options.logger ?? silentLogger();
  const retryPolicy = { ...DEFAULT_LOAD_RETRY_POLICY, ...options.loadRetries };
  // One bound on retries: the store tries once per load attempt, the registry retries the load.
  const store = createModelStore({
    cacheDir: options.cacheDir ?? '/tmp/detectfn-cache',
    logger,
    retries: { attempts: 1 },
    ...(options.cacheMaxBytes !== undefined ? { maxCacheBytes: options.cacheMaxBytes } : {}),
    ...(options.s3 ? { s3: options.s3 } : {}),
  });
  const decoder = createSharpDecoder({
    ...(options.maxInputPixels ? { maxInputPixels: options.maxInputPixels } : {}),
    ...(options.decodeWorkers !== undefined ? { workers: options.decodeWorkers } : {}),
    ...(options.jpegDecoder !== undefined ? { jpegDecoder: options.jpegDecoder } : {}),
  });
  const cores = usableCores();
  logger.info(
    { jpegDecoder: decoder.jpeg, decodeWorkers: decoder.options.workers, cores: cores.cores, coresFrom: cores.source },
    `image decoder: JPEG by ${describeJpegDecoder(decoder.jpeg)}, ${decoder.options.workers} decode worker(s), ${cores.cores} usable core(s) (${cores.source})`,
  );
  options.metrics?.addGauge('detectfn_libvips_queue', 'Images waiting for a libvips thread', () => sharpCounters().queue);

  const loaded = new Map<string, ModelService>();
  /** Models not loaded yet: retrying (state loading + reason) or failed for good. */
  const pending = new Map<string, Omit<ModelStatus, 'name'>>();
  const configured: string[] = [];
  const versions = new Map<string, string>();
  let manifestsRead = false;
  let failed = false;
  const closing = new AbortController();

  const fail = (name: string, err: unknown): never => {
    failed = true;
    pending.set(name, { state: 'failed', reason: (err as Error)?.message ?? String(err) });
    for (const other of configured) {
      if (other !== name && !loaded.has(other) && pending.get(other)?.state !== 'failed') {
        pending.set(other, { state: 'failed', reason: `not loaded: model ${name} failed` });
      }
    }
    throw err;
  };

  const ready = (async () => {
    if (options.models.length === 0) throw new DetectError('CONFIG_INVALID', 'no models configured');
    const read = await Promise.allSettled(options.models.map(manifestFor));
    // A manifest that cannot be read is named by its path; every model is listed either way.
    configured.push(...read.map((r, i) => (r.status === 'fulfilled' ? r.value.name : options.models[i]!)));
    read.forEach((r) => r.status === 'fulfilled' && versions.set(r.value.name, r.value.version));
    manifestsRead = true;
    const bad = read.findIndex((r) => r.status === 'rejected');
    if (bad >= 0) fail(configured[bad]!, (read[bad] as PromiseRejectedResult).reason);
    const manifests = read.map((r) => (r as PromiseFulfilledResult<ModelManifest>).value);
    const duplicate = configured.find((n, i) => configured.indexOf(n) !== i);
    if (duplicate) fail(duplicate, new DetectError('CONFIG_INVALID', `two models are named ${duplicate}: model names must be unique`));
    // One at a time: session creation and warmup saturate the CPU; parallel loads only interleave.
    for (const [i, m] of manifests.entries()) {
      const adaptToModel = !isManifestPath(options.models[i]!);
      const service = await loadWithRetries(
        m.name,
        () => {
          if (closing.signal.aborted) throw new DetectError('NOT_READY', 'registry closed');
          return loadModel(m, { store, decoder, logger, metrics: options.metrics }, { adaptToModel });
        },
        { policy: retryPolicy, logger, signal: closing.signal, onRetry: (reason) => pending.set(m.name, { state: 'loading', reason }) },
      ).catch((err: unknown) => (closing.signal.aborted ? undefined : fail(m.name, err)));
      if (!service) return;
      if (closing.signal.aborted) {
        await service.close();
        return;
      }
      pending.delete(m.name);
      loaded.set(m.name, service);
    }
  })();
  // Reported by whoever awaits whenReady() (the entry points log it and exit); here it only marks the failure.
  ready.catch(() => void (failed = true));

  let draining = false;
  const status = (): ModelStatus[] =>
    configured.map((name) => {
      const version = versions.get(name);
      const id = version === undefined ? { name } : { name, version };
      if (draining) return { ...id, state: 'closed', reason: 'shutting down' };
      const m = loaded.get(name);
      return m ? { ...id, ...m.health() } : { ...id, state: 'loading', ...pending.get(name) };
    });
  options.metrics?.watchReadiness(() => status().map((s) => ({ model: s.name, version: s.version ?? '', ready: s.state === 'ready' })));

  return {
    get(name) {
      const m = loaded.get(name);
      if (m) return m;
      const p = pending.get(name);
      if (p?.state === 'failed') throw new DetectError('NOT_READY', `model ${name} failed to load: ${p.reason}`, { retryAfterS: 2 });
      if (configured.includes(name) || (!manifestsRead && !failed)) {
        throw new DetectError('NOT_READY', `model ${name} is still loading${p?.reason ? ` (${p.reason})` : ''}`, { retryAfterS: 2 });
      }
      const known = configured.length > 0 ? configured.join(', ') : '(none loaded yet)';
      throw new DetectError('MODEL_NOT_FOUND', `unknown model ${JSON.stringify(name)}; served models: ${known}`);
    },
    names: () => [...configured],
    list: () => [...loaded.values()],
    status,
    allReady: () => configured.length > 0 && status().every((s) => s.state === 'ready'),
    whenReady: () => ready,
    drain: () => void (draining = true),
    async close() {
      draining = true;
      closing.abort();
      await Promise.allSettled([ready]);
      await Promise.all([...loaded.values()].map((m) => m.close()));
      await decoder.close();
    },
  };
}
