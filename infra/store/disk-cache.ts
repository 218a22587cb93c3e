/**
 * @module infra/store/disk-cache
 * The model store's on-disk cache: `<key>.bin` (the model) beside `<key>.json` (uri, etag,
 * sha256, bytes), bounded by `maxBytes` with least-recently-used eviction.
 *
 * - Use is recorded in the model file's atime, so the LRU order survives a restart: a scan at
 *   start-up rebuilds the index from disk and removes temp files, orphans and files whose size
 *   disagrees with their metadata.
 * - Pinned entries (being fetched, or leased to a model being served) are never evicted, even if
 *   that puts the cache over its bound: a replacement engine worker may read a served model's
 *   file again at any time.
 * - A file enters the cache only whole. Its bytes go to a temp file in the cache dir (the same
 *   filesystem, so the rename is atomic), are hashed on the way and fsynced, and only then is it
 *   renamed into place. A reader never sees a half-written model, and a crash leaves only a
 *   `.tmp-` file that a later scan removes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** Structured logging, satisfied by a pino Logger; the store's default drops everything. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CacheEntry {
  readonly key: string;
  readonly path: string;
  readonly uri: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly etag?: string;
}

export interface DiskCache {
  /** The entry, marked as just used; undefined when absent or its file is gone or damaged. */
  get(key: string): Promise<CacheEntry | undefined>;
  /** Moves a finished temp file into the cache, then evicts down to the bound. */
  put(key: string, file: WrittenFile, meta: { uri: string; etag?: string }): Promise<CacheEntry>;
  /** Protects the entry from eviction until the returned function is called (counted; idempotent). */
  pin(key: string): () => void;
  totalBytes(): number;
}

export function createDiskCache(cacheDir: string, maxBytes: number, logger: StoreLogger): DiskCache {
  const dir = path.resolve(cacheDir); // a no-op for the store's (already resolved) dir
  const index = new Map<string, CacheEntry>(); // insertion order = LRU order (oldest first)
  const pins = new Map<string, number>();
  let total = 0;
  const ready = mkdir(dir, { recursive: true }).then(() => scan(dir, index)).then((t) => (total = t));
  ready.catch(() => {}); // surfaced by the first get/put, not as an unhandled rejection
  const drop = async (e: CacheEntry) => {
    if (index.get(e.key) === e) (index.delete(e.key), (total -= e.bytes));
    await Promise.all([discard(e.path), discard(metaPath(dir, e.key))]);
  };
  const evict = async () => {
    for (const e of [...index.values()]) {
      if (total <= maxBytes) break;
      if (pins.get(e.key)) continue;
      logger.info({ uri: e.uri, bytes: e.bytes, cacheBytes: total, maxBytes }, 'model store: evicting least recently used model');
      await drop(e);
    }
    if (total > maxBytes) logger.warn({ cacheBytes: total, maxBytes }, 'model store: cache over its bound (models in use)');
  };
  return {
    async get(key) {
      await ready;
      const e = index.get(key);
      if (!e) return undefined;
      const st = await stat(e.path).catch(() => undefined);
      if (!st || st.size !== e.bytes) return void (await drop(e));
      index.delete(key), index.set(key, e);
      await utimes(e.path, new Date(), st.mtime).catch(() => {});
      return e;
    },
    async put(key, file, meta) {
      await ready;
      const old = index.get(key);
      if (old) await drop(old);
      const e: CacheEntry = { key, path: path.join(dir, `${key}.bin`), uri: meta.uri, bytes: file.bytes, sha256: file.sha256, ...(meta.etag ? { etag: meta.etag } : {}) };
      const tmpMeta = `${file.tempPath}.json`;
      await writeFile(tmpMeta, JSON.stringify(e));
      await rename(tmpMeta, metaPath(dir, key));
      await commitTempFile(file.tempPath, e.path);
      index.set(key, e), (total += e.bytes);
      const unpin = this.pin(key);
      try { await evict(); } finally { unpin(); }
      return e;
    },
    pin(key) {
      pins.set(key, (pins.get(key) ?? 0) + 1);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const n = (pins.get(key) ?? 1) - 1;
        if (n > 0) pins.set(key, n); else pins.delete(key);
      };
    },
    totalBytes: () => total,
  };
}

// The start-up scan: what the files on disk say is the index, oldest use first.
/** Temp files untouched this long are leftovers of a crashed download. */
const STALE_TEMP_MS = 10 * 60_000;

/** Rebuilds the index from disk, oldest use first; returns the total size. */
async function scan(dir: string, index: Map<string, CacheEntry>): Promise<number> {
  const names = await readdir(dir);
  const found: { e: CacheEntry; used: number }[] = [];
  const keep = new Set<string>();
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith(TEMP_PREFIX))) {
    try {
      const meta = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as CacheEntry;
      if (name !== `${meta.key}.json`) throw new Error('metadata of another entry');
      // The model's place follows from its key, not from the path recorded when it was written
      // (that may name the same dir spelled differently, or a dir since moved).
      const e: CacheEntry = { ...meta, path: path.join(dir, `${meta.key}.bin`) };
      const st = await stat(e.path);
      if (st.size !== e.bytes) throw new Error('size differs');
      found.push({ e, used: st.atimeMs });
      keep.add(name).add(path.basename(e.path));
    } catch {
      // unreadable metadata or a missing/damaged model: removed below with the other strays
    }
  }
  // Only our own names: the cache dir may be shared with files that are none of our business.
  // A temp file is a crash leftover only when idle for a while: another store (or process) on
  // this dir may be writing it right now.
  const now = Date.now();
  const stale = async (n: string) =>
    !n.startsWith(TEMP_PREFIX) || now - ((await stat(path.join(dir, n)).catch(() => undefined))?.mtimeMs ?? now) > STALE_TEMP_MS;
  const ours = (n: string) => n.startsWith(TEMP_PREFIX) || /^[0-9a-f]{64}\.(bin|json)$/.test(n);
  const strays = names.filter((n) => ours(n) && !keep.has(n));
  await Promise.all(strays.map(async (n) => (await stale(n)) && discard(path.join(dir, n))));
  found.sort((a, b) => a.used - b.used).forEach(({ e }) => index.set(e.key, e));
  return found.reduce((s, { e }) => s + e.bytes, 0);
}

// Writing a file for the cache: a temp file in the cache dir, hashed while written, fsynced;
// `put` renames it into place.
export const TEMP_PREFIX = '.tmp-';

export interface WrittenFile {
  readonly tempPath: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface PartialWrite extends Error {
  /** Bytes written before the stream failed. */
  readonly received: number;
}

/** Streams `body` into a fresh temp file in `dir`; on failure the temp file is gone. */
export async function writeTempFile(dir: string, body: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<WrittenFile> {
  const tempPath = path.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  const fh = await open(tempPath, 'wx');
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      let off = 0;
      while (off < chunk.byteLength) off += (await fh.write(chunk, off)).bytesWritten;
      bytes += chunk.byteLength;
    }
    await fh.sync();
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tempPath, { force: true });
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), { received: bytes });
  }
  return { tempPath, bytes, sha256: hash.digest('hex') };
}

/** Atomically moves a finished temp file to its final name. */
export async function commitTempFile(tempPath: string, finalPath: string): Promise<void> {
  await rename(tempPath, finalPath);
}

export async function discard(p: string): Promise<void> {
  await rm(p, { force: true });
}

/** sha256 of a file on disk (for files read in place). */
export async function hashFile(p: string): Promise<string> {
  const fh = await open(p, 'r');
  try {
    const hash = createHash('sha256');
    for await (const chunk of fh.createReadStream()) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await fh.close().catch(() => {});
  }
}

const metaPath = (dir: string, key: string) => path.join(dir, `${key}.json`);
