/**
 * @module infra/runtime/registry
 * The served models. Returned at once, so the server can listen (liveness) while the models
 * load; readiness turns true only when every model is fetched, cross-checked and warm.
 * A model that fails to load fails `whenReady()` with its error: start-up stops, loudly.
 */
import { DetectError } from '../../core/errors/index.js';
import { createSharpDecoder, sharpCounters } from '../image/index.js';
import { silentLogger } from '../log/index.js';
import { defaultManifestForOnnx, loadManifest, type ModelManifest } from '../manifest/index.js';
import { createModelStore } from '../store/index.js';
import { loadModel } from './load-model.js';
import type { ModelRegistry, ModelRegistryOptions, ModelService, ModelStatus } from './model-service.js';

const isManifestPath = (spec: string) => spec.toLowerCase().endsWith('.json');

/** A manifest path (.json), or a model path/URI that gets the default YOLOv8 manifest. */
export async function manifestFor(spec: string): Promise<ModelManifest> {
  return isManifestPath(spec) ? loadManifest(spec) : defaultManifestForOnnx(spec);
}

export function createModelRegistry(options: ModelRegistryOptions): ModelRegistry {
  const logger = options.logger ?? silentLogger();
  const store = createModelStore({
    cacheDir: options.cacheDir ?? '/tmp/detectfn-cache',
    logger,
    ...(options.cacheMaxBytes !== undefined ? { maxCacheBytes: options.cacheMaxBytes } : {}),
    ...(options.s3 ? { s3: options.s3 } : {}),
  });
  const decoder = createSharpDecoder({
    ...(options.maxInputPixels ? { maxInputPixels: options.maxInputPixels } : {}),
    ...(options.decodeWorkers !== undefined ? { workers: options.decodeWorkers } : {}),
  });
  options.metrics?.addGauge('detectfn_libvips_queue', 'Images waiting for a libvips thread', () => sharpCounters().queue);

  const loaded = new Map<string, ModelService>();
  const configured: string[] = [];
  let manifestsRead = false;
  let failure: unknown;
  let closed = false;

  const ready = (async () => {
    if (options.models.length === 0) throw new DetectError('CONFIG_INVALID', 'no models configured');
    const manifests = await Promise.all(options.models.map(manifestFor));
    const seen = new Set<string>();
    for (const m of manifests) {
      if (seen.has(m.name)) throw new DetectError('CONFIG_INVALID', `two models are named ${m.name}: model names must be unique`);
      seen.add(m.name);
      configured.push(m.name);
      options.metrics?.setReady(m.name, false);
    }
    manifestsRead = true;
    // One at a time: session creation and warmup saturate the CPU; parallel loads only interleave.
    for (const [i, m] of manifests.entries()) {
      const adaptToModel = !isManifestPath(options.models[i]!);
      const service = await loadModel(m, { store, decoder, logger, metrics: options.metrics }, { adaptToModel });
      if (closed) {
        await service.close();
        return;
      }
      loaded.set(m.name, service);
    }
  })();
  ready.catch((err) => {
    failure = err;
    logger.error({ err }, 'model loading failed');
  });

  const status = (): ModelStatus[] =>
    configured.map((name) => {
      const m = loaded.get(name);
      if (m) return { name, ...m.health() };
      if (failure !== undefined) return { name, state: 'failed', reason: (failure as Error)?.message ?? String(failure) };
      return { name, state: 'loading' };
    });

  return {
    get(name) {
      const m = loaded.get(name);
      if (m) return m;
      if (configured.includes(name) || (!manifestsRead && failure === undefined)) {
        throw new DetectError('NOT_READY', `model ${name} is still loading`, { retryAfterS: 2 });
      }
      const known = configured.length > 0 ? configured.join(', ') : '(none loaded yet)';
      throw new DetectError('MODEL_NOT_FOUND', `unknown model ${JSON.stringify(name)}; served models: ${known}`);
    },
    names: () => [...configured],
    list: () => [...loaded.values()],
    status,
    allReady: () => configured.length > 0 && status().every((s) => s.state === 'ready'),
    whenReady: () => ready,
    async close() {
      closed = true;
      await Promise.allSettled([ready]);
      await Promise.all([...loaded.values()].map((m) => m.close()));
      await decoder.close();
    },
  };
}
