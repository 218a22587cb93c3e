/**
 * @module infra/store/s3
 * S3 access for the model store (@aws-sdk/client-s3 v3): HEAD for the ETag, GET streamed to a
 * temp file in the cache dir. Also the S3 client every other S3 user builds (`createS3Client`:
 * the event processor, the batch CLI) and the one ETag reading (`unquoteETag`).
 *
 * - Endpoint and path style come from the options or the environment; credentials always from
 *   the SDK's default chain (env, profile, web identity, container/instance roles).
 * - The SDK's own retries are off (`maxAttempts: 1`): the store retries whole HEAD + GET rounds,
 *   and the event processor whole operations, with their own backoff; SDK retries would only
 *   multiply the attempts.
 * - Connect and idle-socket timeouts bound each attempt. The SDK has neither by default, so a
 *   blackholed endpoint held a cold start for the OS's minutes-long TCP retries.
 */
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DetectError } from '../../core/errors.js';
import { discard, type PartialWrite, writeTempFile, type WrittenFile } from './disk-cache.js';

export interface S3Options {
  /**
   * A ready client (tests); otherwise one is built from the options and the environment. The
   * built one has the SDK's own retries off; an injected client keeps its own, which then run
   * inside each of the store's attempts.
   */
  readonly client?: S3Client;
  /** @default AWS_ENDPOINT_URL_S3 ?? AWS_ENDPOINT_URL ?? the AWS endpoint */
  readonly endpoint?: string;
  /** @default AWS_REGION ?? AWS_DEFAULT_REGION ?? 'us-east-1' */
  readonly region?: string;
  /** @default DETECTFN_S3_FORCE_PATH_STYLE === 'true' | '1' */
  readonly forcePathStyle?: boolean;
  /** TCP connect limit: an unreachable endpoint fails the attempt instead of hanging on the OS's SYN retries. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Longest silence on an open connection (not the whole transfer, which may be large). @default 30000 */
  readonly socketTimeoutMs?: number;
}

export function createS3Client(opts: S3Options = {}, env: NodeJS.ProcessEnv = process.env): S3Client {
  if (opts.client) return opts.client;
  const endpoint = opts.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const pathStyle = opts.forcePathStyle ?? ['true', '1'].includes(env.DETECTFN_S3_FORCE_PATH_STYLE ?? '');
  return new S3Client({
    region: opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: pathStyle,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: opts.connectTimeoutMs ?? 5000, socketTimeout: opts.socketTimeoutMs ?? 30_000 },
    // S3-compatible servers (radosgw) reject or mangle the SDK's default flexible checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
}

/** The object's ETag ('' when the server sends none) and declared length (-1 when unknown). */
export async function headObject(client: S3Client, ref: ObjectRef): Promise<{ etag: string; bytes: number }> {
  const out = await client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  return { etag: unquoteETag(out.ETag) ?? '', bytes: out.ContentLength ?? -1 };
}

/**
 * GETs the object (If-Match the HEAD's ETag, so a concurrent overwrite is a 412 and a retry,
 * not a mix of versions) into a temp file in `dir`. A body shorter than Content-Length is a
 * truncated transfer (INTEGRITY_ERROR, retryable); the temp file is removed.
 */
export async function downloadObject(client: S3Client, ref: ObjectRef, etag: string, uri: string, dir: string): Promise<WrittenFile & { etag: string }> {
  const out = await client.send(
    new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(etag ? { IfMatch: `"${etag}"` } : {}) }),
  );
  const expected = out.ContentLength ?? -1;
  let file: WrittenFile;
  try {
    file = await writeTempFile(dir, out.Body as Readable);
  } catch (err) {
    const received = (err as PartialWrite).received ?? 0;
    if (expected >= 0 && received < expected) throw truncatedError(uri, expected, received, err);
    throw err;
  }
  if (expected >= 0 && file.bytes !== expected) {
    await discard(file.tempPath);
    throw truncatedError(uri, expected, file.bytes);
  }
  return { ...file, etag: unquoteETag(out.ETag) ?? etag };
}

export function truncatedError(uri: string, expected: number, received: number, cause?: unknown): DetectError {
  return new DetectError('INTEGRITY_ERROR', `model ${uri}: received ${received} of ${expected} bytes (truncated transfer)`, {
    cause,
    details: { uri, expected, received, truncated: true },
  });
}

/**
 * An ETag as S3 sends it (`"d41d8…"`, quotes included) -> the bare value; undefined for none or
 * an empty one. Event records, HEAD, GET and listings all go through this, so an ETag compares
 * equal whichever way it arrived.
 */
export function unquoteETag(etag: string | undefined): string | undefined {
  return etag?.replace(/^"+|"+$/g, '') || undefined;
}
