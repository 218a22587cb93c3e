/**
 * @module infra/store/temp-file
 * Writing a cache file safely: bytes go to a temp file in the cache dir (same filesystem, so the
 * rename is atomic), hashed on the way, fsynced, and only then renamed into place. A reader never
 * sees a half-written model, and a crash leaves only a `.tmp-` file that the next scan removes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

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
