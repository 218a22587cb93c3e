/**
 * @module infra/store/local-source
 * file:// URLs and plain paths are served in place (no copy into the cache), with the same
 * integrity check as downloads. A mismatching file is reported, never deleted: it is not ours.
 */
import { stat } from 'node:fs/promises';
import { invalidParameterError } from '../../core/validate/index.js';
import { notFoundError, shaMismatchError } from './errors.js';
import { hashFile } from './temp-file.js';
import type { FetchedModel } from './types.js';

export async function fetchLocal(uri: string, file: string, sha256: string | undefined, now: () => number): Promise<Omit<FetchedModel, 'release'>> {
  const t0 = now();
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw notFoundError(uri, err);
    throw err;
  });
  if (!st.isFile()) throw invalidParameterError('uri', 'a model file', uri);
  if (sha256 !== undefined) {
    const actual = await hashFile(file);
    if (actual !== sha256) throw shaMismatchError(uri, sha256, actual);
  }
  return { path: file, bytes: st.size, cached: true, downloadMs: now() - t0, ...(sha256 ? { sha256 } : {}) };
}
