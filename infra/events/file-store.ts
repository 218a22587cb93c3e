/**
 * @module infra/events/file-store
 * ObjectStore over a local directory, for `detectfn batch ./in --out ./out`. "bucket" is the
 * directory, keys are '/'-separated relative paths. The ETag of a file is derived from its size
 * and mtime (a changed file gets a new one, as with S3). A put writes a temp file and renames
 * it, so a killed run never leaves half a result. Files have no user metadata: the store reads
 * it back from the stored JSON with `metadataFromBody`.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DetectError } from '../../core/errors/index.js';
import type { ObjectStore } from './object-store.js';
import { readLimited } from './read-limited.js';

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'ENOENT';
const fileETag = (s: { size: number; mtimeMs: number }) => `${s.size.toString(16)}-${Math.floor(s.mtimeMs * 1000).toString(16)}`;
/** Keys are relative paths; '..' segments would escape the directory. */
const resolve = (dir: string, key: string) => {
  const p = path.resolve(dir, ...key.split('/'));
  if (!p.startsWith(path.resolve(dir) + path.sep)) throw new DetectError('INVALID_ARGUMENT', `key ${key} leaves ${dir}`);
  return p;
};

export function createFileObjectStore(metadataFromBody: (body: string) => Record<string, string> | undefined): ObjectStore {
  return {
    async read(dir, key, maxBytes) {
      const file = resolve(dir, key);
      try {
        const s = await stat(file);
        const bytes = await readLimited(createReadStream(file), maxBytes, file, s.size);
        return { bytes, eTag: fileETag(s), versionId: undefined };
      } catch (err) {
        if (isMissing(err)) throw new DetectError('NOT_FOUND', `${file} does not exist`, { cause: err });
        throw err;
      }
    },
    async eTagOf(dir, key) {
      return stat(resolve(dir, key)).then(fileETag, (err) => (isMissing(err) ? undefined : Promise.reject(err)));
    },
    async metadataOf(dir, key) {
      const body = await readFile(resolve(dir, key), 'utf8').catch((err) => (isMissing(err) ? undefined : Promise.reject(err)));
      return body === undefined ? undefined : (metadataFromBody(body) ?? {});
    },
    async put(dir, key, body) {
      const file = resolve(dir, key);
      await mkdir(path.dirname(file), { recursive: true });
      const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(temp, body);
      await rename(temp, file);
    },
    delete: (dir, key) => rm(resolve(dir, key), { force: true }),
    async *list(dir, prefix) {
      for (const key of await walk(dir, '')) {
        if (!key.startsWith(prefix)) continue;
        const s = await stat(resolve(dir, key));
        yield { key, size: s.size, eTag: fileETag(s) };
      }
    },
  };
}

async function walk(root: string, rel: string): Promise<string[]> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const key = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(root, key)));
    else if (e.isFile()) out.push(key);
  }
  return out;
}
