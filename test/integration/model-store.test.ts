import { readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelStore } from '../../infra/store/store.js';
import { s3ClientFor } from '../helpers/radosgw.js';
import { MODELS } from '../helpers/shared-data.js';
import { countingClient, filesIn, flakyServer, freshCacheDir, newBucket, sha256Of, shortBodyServer, YOLO_SHA256, yolov8nBytes } from './model-store.fixtures.js';

const noSleep = async () => {};
const dirs: string[] = [];
const cacheDir = async () => {
  const d = await freshCacheDir();
  dirs.push(d);
  return d;
};

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('model store against a real radosgw', () => {
  let env: Awaited<ReturnType<typeof newBucket>>;
  const yolo = yolov8nBytes();
  beforeAll(async () => {
    env = await newBucket();
    await env.put('yolov8n.onnx', yolo);
  });

  it('downloads cold, records the ETag, and the file is byte-identical; a warm fetch does not GET again', async () => {
    const { client, counts } = countingClient(env.conn);
    const store = createModelStore({ cacheDir: await cacheDir(), s3: { client } });
    const cold = await store.fetch(`s3://${env.bucket}/yolov8n.onnx`);
    expect(cold).toMatchObject({ cached: false, bytes: yolo.length, sha256: YOLO_SHA256 });
    expect(cold.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(sha256Of(readFileSync(cold.path))).toBe(YOLO_SHA256);
    expect(counts).toEqual({ HeadObjectCommand: 1, GetObjectCommand: 1 });
    const ino = statSync(cold.path).ino;

    const warm = await store.fetch(`s3://${env.bucket}/yolov8n.onnx`);
    expect(warm).toMatchObject({ cached: true, path: cold.path, etag: cold.etag, sha256: YOLO_SHA256 });
    expect(counts).toEqual({ HeadObjectCommand: 2, GetObjectCommand: 1 });
    expect(statSync(warm.path).ino).toBe(ino);
  });

  it('a warm fetch by sha256 needs no request at all, and the cache survives a new store on the same dir', async () => {
    const dir = await cacheDir();
    const first = countingClient(env.conn);
    await createModelStore({ cacheDir: dir, s3: { client: first.client } }).fetch(`s3://${env.bucket}/yolov8n.onnx`, { sha256: YOLO_SHA256 });
    const second = countingClient(env.conn);
    const again = await createModelStore({ cacheDir: dir, s3: { client: second.client } }).fetch(`s3://${env.bucket}/yolov8n.onnx`, { sha256: YOLO_SHA256 });
    expect(again.cached).toBe(true);
    expect(second.counts).toEqual({});
  });

  it('downloads again when the object changes (new ETag)', async () => {
    await env.put('changing.onnx', yolo.subarray(0, 1000));
    const { client, counts } = countingClient(env.conn);
    const store = createModelStore({ cacheDir: await cacheDir(), s3: { client } });
    const v1 = await store.fetch(`s3://${env.bucket}/changing.onnx`);
    await env.put('changing.onnx', yolo.subarray(0, 2000));
    const v2 = await store.fetch(`s3://${env.bucket}/changing.onnx`);
    expect(v2.cached).toBe(false);
    expect(v2.etag).not.toBe(v1.etag);
    expect(v2.bytes).toBe(2000);
    expect(sha256Of(readFileSync(v2.path))).toBe(sha256Of(yolo.subarray(0, 2000)));
    expect(counts.GetObjectCommand).toBe(2);
  });

  it('rejects a sha256 mismatch naming both hashes and keeps nothing', async () => {
    const dir = await cacheDir();
    const store = createModelStore({ cacheDir: dir, s3: { client: s3ClientFor(env.conn) } });
    const wrong = 'ab'.repeat(32);
    const err = await store.fetch(`s3://${env.bucket}/yolov8n.onnx`, { sha256: wrong }).catch((e) => e);
    expect(err).toMatchObject({ code: 'INTEGRITY_ERROR' });
    expect(err.message).toContain(wrong);
    expect(err.message).toContain(YOLO_SHA256);
    expect(await filesIn(dir)).toEqual([]);
  });

  it('rejects a truncated copy of yolov8n.onnx fetched with the original sha256', async () => {
    await env.put('truncated.onnx', yolo.subarray(0, yolo.length >> 1));
    const dir = await cacheDir();
    const store = createModelStore({ cacheDir: dir, s3: { client: s3ClientFor(env.conn) } });
    await expect(store.fetch(`s3://${env.bucket}/truncated.onnx`, { sha256: YOLO_SHA256 })).rejects.toMatchObject({
      code: 'INTEGRITY_ERROR',
      message: expect.stringContaining(sha256Of(yolo.subarray(0, yolo.length >> 1))),
    });
    expect(await filesIn(dir)).toEqual([]);
  });

  it('shares one download between 10 concurrent fetches', async () => {
    const { client, counts } = countingClient(env.conn);
    const store = createModelStore({ cacheDir: await cacheDir(), s3: { client } });
    const all = await Promise.all(Array.from({ length: 10 }, () => store.fetch(`s3://${env.bucket}/yolov8n.onnx`)));
    expect(new Set(all.map((r) => r.path)).size).toBe(1);
    expect(counts).toEqual({ HeadObjectCommand: 1, GetObjectCommand: 1 });
  });

  it('maps a missing key or bucket to NOT_FOUND without retrying', async () => {
    const { client, counts } = countingClient(env.conn);
    const store = createModelStore({ cacheDir: await cacheDir(), s3: { client }, sleep: noSleep });
    await expect(store.fetch(`s3://${env.bucket}/nope.onnx`)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(store.fetch('s3://no-such-bucket-detectfn/x.onnx')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(counts).toEqual({ HeadObjectCommand: 2 });
  });

  it('evicts the least recently used released model beyond maxCacheBytes', async () => {
    for (const k of ['a', 'b', 'c']) await env.put(`lru/${k}`, yolo.subarray(0, 1000));
    const { client, counts } = countingClient(env.conn);
    const store = createModelStore({ cacheDir: await cacheDir(), maxCacheBytes: 2500, s3: { client } });
    const uri = (k: string) => `s3://${env.bucket}/lru/${k}`;
    const used = async (k: string) => {
      const m = await store.fetch(uri(k));
      m.release(); // done with it: evictable again
      return m;
    };
    const a = await used('a');
    const b = await used('b');
    expect((await used('a')).cached).toBe(true); // a is now the most recent
    const c = await used('c');
    expect([a, b, c].map((r) => statSync(r.path, { throwIfNoEntry: false }) !== undefined)).toEqual([true, false, true]);
    expect((await used('b')).cached).toBe(false);
    expect(counts.GetObjectCommand).toBe(4);
  });

  it('never evicts a leased (served) model, even over maxCacheBytes; released, it goes first', async () => {
    for (const k of ['a', 'b', 'c']) await env.put(`lease/${k}`, yolo.subarray(0, 1000));
    const dir = await cacheDir();
    const logs: { msg?: string; obj: object }[] = [];
    const logger = { info() {}, error() {}, warn: (obj: object, msg?: string) => void logs.push({ obj, msg }) };
    const store = createModelStore({ cacheDir: dir, maxCacheBytes: 1500, s3: { client: s3ClientFor(env.conn) }, logger });
    const uri = (k: string) => `s3://${env.bucket}/lease/${k}`;
    const a = await store.fetch(uri('a')); // served: never released here
    const b = await store.fetch(uri('b'));
    const twice = await store.fetch(uri('b')); // a second user of b
    expect(statSync(a.path).size).toBe(1000); // b's download would have evicted a
    expect(logs).toContainEqual({ msg: 'model store: cache over its bound (models in use)', obj: { cacheBytes: 2000, maxBytes: 1500 } });
    b.release();
    b.release(); // idempotent: the second user's lease still holds b
    await store.fetch(uri('c')).then((c) => c.release());
    expect([a, b].map((r) => statSync(r.path, { throwIfNoEntry: false }) !== undefined)).toEqual([true, true]);
    twice.release();
    a.release();
    const again = await store.fetch(uri('c')); // a cache hit that evicts nothing
    await env.put('lease/d', yolo.subarray(0, 1000));
    await store.fetch(uri('d'));
    // c and d are leased; a and b, released, went least recently used first.
    expect([a, b, again].map((r) => statSync(r.path, { throwIfNoEntry: false }) !== undefined)).toEqual([false, false, true]);
  });

  it.each([
    ['relative', (d: string) => `./${path.relative(process.cwd(), d)}`],
    ['slash-ended', (d: string) => `${d}/`],
  ])('a %s cache dir keeps its models across a restart', async (_, spell) => {
    const dir = await cacheDir();
    await createModelStore({ cacheDir: spell(dir), s3: { client: s3ClientFor(env.conn) } }).fetch(`s3://${env.bucket}/yolov8n.onnx`);
    const { client, counts } = countingClient(env.conn);
    const again = await createModelStore({ cacheDir: spell(dir), s3: { client } }).fetch(`s3://${env.bucket}/yolov8n.onnx`);
    expect(again).toMatchObject({ cached: true, path: expect.stringMatching(new RegExp(`^${dir}/[0-9a-f]{64}\\.bin$`)) });
    expect(counts).toEqual({ HeadObjectCommand: 1 });
  });

  it('builds its client from the environment (endpoint, path style, default credential chain)', async () => {
    const vars = {
      AWS_ENDPOINT_URL_S3: env.conn.endpoint, DETECTFN_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: env.conn.accessKeyId, AWS_SECRET_ACCESS_KEY: env.conn.secretAccessKey,
    };
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    try {
      const got = await createModelStore({ cacheDir: await cacheDir() }).fetch(`s3://${env.bucket}/yolov8n.onnx`);
      expect(got.sha256).toBe(YOLO_SHA256);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });
});

describe('model store on local files', () => {
  it('reads file:// URLs and plain paths in place, with the same integrity check', async () => {
    const dir = await cacheDir();
    const store = createModelStore({ cacheDir: dir });
    const file = MODELS.yolov8n();
    const byPath = await store.fetch(file, { sha256: YOLO_SHA256 });
    expect(byPath).toMatchObject({ path: file, bytes: statSync(file).size, sha256: YOLO_SHA256 });
    expect((await store.fetch(pathToFileURL(file).href)).path).toBe(file);
    await expect(store.fetch(file, { sha256: '00'.repeat(32) })).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' });
    await expect(store.fetch(`${file}.missing`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await filesIn(dir)).toEqual([]);
  });
});

describe('truncated transfer (stand-in HTTP server, not radosgw)', () => {
  it('rejects a body shorter than Content-Length after retrying, and leaves no file', async () => {
    const srv = await shortBodyServer(100_000, 40_000);
    try {
      const dir = await cacheDir();
      const client = s3ClientFor({ endpoint: srv.endpoint, region: 'us-east-1', accessKeyId: 'x', secretAccessKey: 'y' });
      const store = createModelStore({ cacheDir: dir, s3: { client }, retries: { attempts: 3 }, sleep: noSleep });
      const err = await store.fetch('s3://bucket/model.onnx').catch((e) => e);
      expect(err).toMatchObject({ code: 'INTEGRITY_ERROR', details: { expected: 100_000, truncated: true } });
      expect(err.details.received).toBeLessThan(100_000);
      expect(srv.gets()).toBe(3);
      expect(await filesIn(dir)).toEqual([]);
    } finally {
      await srv.close();
    }
  });
});

describe('transient and permanent HTTP errors (stand-in HTTP server, not radosgw)', () => {
  const body = new Uint8Array(5000).fill(3);
  const creds = { AWS_ACCESS_KEY_ID: 'stand-in', AWS_SECRET_ACCESS_KEY: 'stand-in' };
  const withCreds = async <T>(fn: () => Promise<T>) => {
    const saved = Object.fromEntries(Object.keys(creds).map((k) => [k, process.env[k]]));
    Object.assign(process.env, creds);
    try {
      return await fn();
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  };

  it('retries 503 SlowDown with backoff and then downloads (the built client does not retry by itself)', async () => {
    const srv = await flakyServer(body, 2, 503);
    const sleeps: number[] = [];
    try {
      const store = createModelStore({
        cacheDir: await cacheDir(), s3: { endpoint: srv.endpoint, forcePathStyle: true },
        sleep: async (ms) => void sleeps.push(ms), random: () => 0.5,
      });
      const got = await withCreds(() => store.fetch('s3://bucket/flaky.onnx'));
      expect(got).toMatchObject({ cached: false, bytes: 5000, sha256: sha256Of(body) });
      expect(srv.gets()).toBe(3);
      expect(sleeps).toEqual([100, 200]);
    } finally {
      await srv.close();
    }
  });

  it('does not retry 403 and reports STORE_ERROR', async () => {
    const srv = await flakyServer(body, 1, 403);
    try {
      const store = createModelStore({ cacheDir: await cacheDir(), s3: { endpoint: srv.endpoint, forcePathStyle: true }, sleep: noSleep });
      const err = await withCreds(() => store.fetch('s3://bucket/denied.onnx')).catch((e) => e);
      expect(err).toMatchObject({ code: 'STORE_ERROR', status: 502, message: expect.stringContaining('HTTP 403') });
      expect(srv.gets()).toBe(1);
    } finally {
      await srv.close();
    }
  });
});
