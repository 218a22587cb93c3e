/**
 * @module infra/events/stores
 * Where the event processor's objects live: `ObjectStore` is the little of S3 it needs, so the
 * same processing runs against S3 buckets (S3 events, `detectfn batch s3://...`) and local
 * directories (`detectfn batch ./in --out ./out`). "bucket" is an S3 bucket name or, for the
 * file store, an absolute directory.
 *
 * Both stores read a whole object into memory without trusting its declared length
 * (`readLimited`), and write a result in one request or one rename, so a reader never sees a
 * partial result.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DetectError } from '../../core/errors.js';
import { unquoteETag } from '../store/s3.js';
import { isNotFound } from '../store/store.js';
import { asFolder, type Location, metadataFromResultBody, parseLocation } from './records.js';

export interface ObjectStore {
  /**
   * Reads a whole object into memory, refusing more than `maxBytes`: the declared length is
   * checked first and the bytes are counted while streaming (PAYLOAD_TOO_LARGE). A missing
   * object is NOT_FOUND; other failures are the client's own errors (see isTransient).
   */
  read(bucket: string, key: string, maxBytes: number, versionId?: string): Promise<StoredObject>;
  /** ETag of an object (of that version, when given), or undefined when it does not exist. */
  eTagOf(bucket: string, key: string, versionId?: string): Promise<string | undefined>;
  /** User metadata of an object, or undefined when it does not exist. */
  metadataOf(bucket: string, key: string): Promise<Record<string, string> | undefined>;
  /** Writes a whole object in one request (or one rename): readers never see a partial one. */
  put(bucket: string, key: string, body: string, metadata: Record<string, string>): Promise<void>;
  /** Removes an object; a missing one is not an error. */
  delete(bucket: string, key: string): Promise<void>;
  /** Every object under `prefix`, page by page. */
  list(bucket: string, prefix: string): AsyncIterable<ListedObject>;
}

export interface StoredObject {
  readonly bytes: Uint8Array;
  readonly eTag: string | undefined;
  readonly versionId: string | undefined;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number | undefined;
  readonly eTag: string | undefined;
}

/** Where results or error records go: a store, a bucket (or directory) and a key prefix. */
export interface Destination {
  readonly store: ObjectStore;
  readonly bucket: string;
  readonly prefix: string;
  /** As the user wrote it (s3://b/p/ or a path), for logs and summaries. */
  readonly uri: string;
}

export interface Stores {
  readonly s3: () => ObjectStore;
  readonly file: () => ObjectStore;
}

/** Stores built on first use: a local-only run never constructs an S3 client. */
export function lazyStores(client: () => S3Client): Stores {
  let s3: ObjectStore | undefined;
  let file: ObjectStore | undefined;
  return {
    s3: () => (s3 ??= createS3ObjectStore(client())),
    file: () => (file ??= createFileObjectStore(metadataFromResultBody)),
  };
}

/** A location string -> the store that serves it, with the prefix made folder-like ("s3://b/results" writes under "results/"). */
export function openDestination(where: string | Location, stores: Stores, name = 'location'): Destination {
  const loc = typeof where === 'string' ? parseLocation(where, name) : where;
  const store = loc.kind === 's3' ? stores.s3() : stores.file();
  return { store, bucket: loc.bucket, prefix: asFolder(loc.prefix), uri: loc.uri };
}

/**
 * ObjectStore over @aws-sdk/client-s3 v3. The client comes from the caller (infra/store's
 * createS3Client has the SDK's retries off): the event processor retries whole operations
 * itself with backoff, so SDK retries would only multiply the attempts.
 */
export function createS3ObjectStore(client: S3Client): ObjectStore {
  const head = async (bucket: string, key: string, versionId?: string) => {
    try {
      return await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return {
    async read(bucket, key, maxBytes, versionId) {
      let out;
      try {
        out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
      } catch (err) {
        if (isNotFound(err)) throw new DetectError('NOT_FOUND', `s3://${bucket}/${key} does not exist`, { cause: err });
        throw err;
      }
      const body = out.Body as unknown as Parameters<typeof readLimited>[0];
      const bytes = await readLimited(body, maxBytes, `s3://${bucket}/${key}`, out.ContentLength);
      return { bytes, eTag: unquoteETag(out.ETag), versionId: out.VersionId || undefined };
    },
    eTagOf: async (bucket, key, versionId) => unquoteETag((await head(bucket, key, versionId))?.ETag),
    metadataOf: async (bucket, key) => (await head(bucket, key))?.Metadata ?? undefined,
    async put(bucket, key, body, metadata) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', Metadata: metadata }));
    },
    async delete(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async *list(bucket, prefix) {
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
          if (o.Key !== undefined) yield { key: o.Key, size: o.Size, eTag: unquoteETag(o.ETag) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
  };
}

/**
 * ObjectStore over a local directory, for `detectfn batch ./in --out ./out`. "bucket" is the
 * directory, keys are '/'-separated relative paths. The ETag of a file is derived from its size
 * and mtime (a changed file gets a new one, as with S3). A put writes a temp file and renames
 * it, so a killed run never leaves half a result. Files have no user metadata: the store reads
 * it back from the stored JSON with `metadataFromBody`.
 */
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

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'ENOENT';
const fileETag = (s: { size: number; mtimeMs: number }) => `${s.size.toString(16)}-${Math.floor(s.mtimeMs * 1000).toString(16)}`;

/** Keys are relative paths; '..' segments would escape the directory. */
function resolve(dir: string, key: string): string {
  const p = path.resolve(dir, ...key.split('/'));
  if (!p.startsWith(path.resolve(dir) + path.sep)) throw new DetectError('INVALID_ARGUMENT', `key ${key} leaves ${dir}`);
  return p;
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

type Body = AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => void };

/**
 * Reads a body into one buffer without trusting its declared length: a declared length over
 * the limit is refused before a byte is read, and the bytes are counted as they arrive, so a
 * body that lies (or has no length) is cut off at the limit instead of filling memory.
 */
export async function readLimited(body: Body, maxBytes: number, what: string, declaredLength?: number): Promise<Uint8Array> {
  if (declaredLength !== undefined && declaredLength > maxBytes) {
    body.destroy?.();
    throw tooLargeError(what, maxBytes, declaredLength, true);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      // Leaving the loop early closes the stream (the socket is not drained).
      body.destroy?.();
      throw tooLargeError(what, maxBytes, total, false);
    }
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export function tooLargeError(what: string, limit: number, seen: number, declared: boolean): DetectError {
  const how = declared ? `declares ${seen} bytes` : `exceeded ${limit} bytes while streaming`;
  return new DetectError('PAYLOAD_TOO_LARGE', `${what} ${how}; the limit is ${limit} bytes`, { details: { limit, bytes: seen, declared } });
}
