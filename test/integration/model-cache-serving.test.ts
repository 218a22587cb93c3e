/**
 * The model disk cache as the service uses it: the real server (startServer) loading two demo
 * models from a real radosgw, DETECTFN_CACHE_MAX_BYTES read from the environment. A served
 * model's file stays in the cache however small the bound; closing the server releases it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../handlers/serve.js';
import { createModelRegistry } from '../../infra/model/registry.js';
import { createModelStore } from '../../infra/store/store.js';
import { capturingLogger } from '../helpers/capture-logger.js';
import { s3ClientFor } from '../helpers/radosgw.js';
import { repoRoot } from '../helpers/shared-data.js';
import { newBucket } from './model-store.fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-cache-serving-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const models = async (cacheDir: string) => (await readdir(cacheDir)).filter((n) => n.endsWith('.bin'));

describe('served models in a small cache', () => {
  it('are never evicted while served (the env bound reaches the store); after close() they are', async () => {
    const demo = readFileSync(path.join(repoRoot, 'models/demo/demo.onnx'));
    const env = await newBucket();
    const manifests = await Promise.all(['a', 'b', 'c'].map(async (k) => {
      await env.put(`${k}.onnx`, demo);
      const file = path.join(dir, `demo-${k}.json`);
      const source = { uri: `s3://${env.bucket}/${k}.onnx` };
      writeFileSync(file, JSON.stringify({ name: `demo-${k}`, source, input: { shape: ['batch', 3, 320, 320] }, labels: 'metadata', batching: { batchSizes: [1] } }));
      return file;
    }));
    const cacheDir = path.join(dir, 'cache');
    const maxBytes = Math.floor(demo.length * 1.5); // room for one model only
    const log = capturingLogger('info');
    const client = s3ClientFor(env.conn);
    const srv = await startServer({
      env: { HOST: '127.0.0.1', PORT: '0', DETECTFN_CACHE_DIR: cacheDir, DETECTFN_CACHE_MAX_BYTES: String(maxBytes), DETECTFN_MODELS: manifests.slice(0, 2).join(',') },
      logger: log.logger,
      // The S3 connection is the test's radosgw; every other registry option is what startServer passes.
      createRegistry: (o) => createModelRegistry({ ...o, s3: { client } }),
    });
    try {
      await srv.ready;
      expect(srv.registry.allReady()).toBe(true);
      // Loading demo-b went over the bound; demo-a, served, was kept.
      expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'model store: cache over its bound (models in use)', maxBytes, cacheBytes: 2 * demo.length }));
      expect(await models(cacheDir)).toHaveLength(2);
      expect((await fetch(`${srv.url}/readyz`)).status).toBe(200);
    } finally {
      await srv.close();
    }
    const served = await models(cacheDir);
    // Closed: the next download (same bound) evicts both, least recently used first.
    const store = createModelStore({ cacheDir, maxCacheBytes: maxBytes, s3: { client } });
    const c = await store.fetch(`s3://${env.bucket}/c.onnx`);
    expect(await models(cacheDir)).toEqual([path.basename(c.path)]);
    expect(served.map((n) => existsSync(path.join(cacheDir, n)))).toEqual([false, false]);
    c.release();
  });
});
