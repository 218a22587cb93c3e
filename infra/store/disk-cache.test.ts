import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiskCache, writeTempFile } from './disk-cache.js';

const silent = { info() {}, warn() {}, error() {} };
const key = (c: string) => c.repeat(64);
let dir = '';
afterEach(() => rm(dir, { recursive: true, force: true }));

async function put(cache: ReturnType<typeof createDiskCache>, k: string, bytes: number) {
  const file = await writeTempFile(dir, [new Uint8Array(bytes).fill(1)]);
  return cache.put(k, file, { uri: `s3://b/${k[0]}` });
}

describe('disk cache', () => {
  it('rebuilds its index on restart and removes temp files, damaged entries and orphans, but nothing else', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'detectfn-cache-unit-'));
    const first = createDiskCache(dir, 10_000, silent);
    const kept = await put(first, key('a'), 100);
    const damaged = await put(first, key('b'), 100);
    await writeFile(damaged.path, 'short');
    await writeFile(path.join(dir, '.tmp-deadbeef'), 'partial download of a crashed process');
    await utimes(path.join(dir, '.tmp-deadbeef'), new Date(0), new Date(0));
    await writeFile(path.join(dir, '.tmp-inflight'), 'being written by another store on this dir');
    await writeFile(path.join(dir, `${key('c')}.bin`), 'orphan without metadata');
    await writeFile(path.join(dir, 'README.txt'), 'not ours');

    const second = createDiskCache(dir, 10_000, silent);
    expect(await second.get(key('a'))).toEqual(kept);
    expect(await second.get(key('b'))).toBeUndefined();
    expect(second.totalBytes()).toBe(100);
    expect((await readdir(dir)).sort()).toEqual(['.tmp-inflight', 'README.txt', `${key('a')}.bin`, `${key('a')}.json`]);
  });

  it('never evicts a pinned entry, even over the bound', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'detectfn-cache-unit-'));
    const cache = createDiskCache(dir, 150, silent);
    await put(cache, key('a'), 100);
    const unpin = cache.pin(key('a'));
    await put(cache, key('b'), 100);
    expect(await cache.get(key('a'))).toBeDefined();
    expect(cache.totalBytes()).toBe(200);
    unpin();
    await put(cache, key('c'), 100); // evicts the least recently used unpinned entries: b, then a
    expect(await cache.get(key('b'))).toBeUndefined();
    expect(await cache.get(key('a'))).toBeUndefined();
    expect(cache.totalBytes()).toBe(100);
  });

  it.each([
    ['relative', (d: string) => `./${path.relative(process.cwd(), d)}`],
    ['slash-ended', (d: string) => `${d}/`],
  ])('keeps its entries across a restart when the dir is given %s', async (_, spell) => {
    dir = await mkdtemp(path.join(tmpdir(), 'detectfn-cache-unit-'));
    const first = createDiskCache(spell(dir), 10_000, silent);
    const kept = await put(first, key('a'), 100);
    expect(kept.path).toBe(path.join(dir, `${key('a')}.bin`)); // absolute, one spelling
    const second = createDiskCache(spell(dir), 10_000, silent);
    expect(await second.get(key('a'))).toEqual(kept);
    expect(second.totalBytes()).toBe(100);
    expect((await readdir(dir)).sort()).toEqual([`${key('a')}.bin`, `${key('a')}.json`]);
  });

  it('finds an entry whose metadata names the dir spelled differently (written before dirs were resolved)', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'detectfn-cache-unit-'));
    const e = await put(createDiskCache(dir, 10_000, silent), key('a'), 100);
    await writeFile(path.join(dir, `${key('a')}.json`), JSON.stringify({ ...e, path: `./old/spelling/${key('a')}.bin` }));
    expect((await createDiskCache(dir, 10_000, silent).get(key('a')))?.path).toBe(e.path);
  });
});
