/**
 * @module infra/events/object-store
 * The little of S3 the event processor needs, so the same processing runs against S3 buckets
 * (s3-store.ts) and local directories (file-store.ts, for the batch CLI). "bucket" is an S3
 * bucket name or, for the file store, an absolute directory.
 */

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

/** Where results or error records go: a store, a bucket (or directory) and a key prefix. */
export interface Destination {
  readonly store: ObjectStore;
  readonly bucket: string;
  readonly prefix: string;
  /** As the user wrote it (s3://b/p/ or a path), for logs and summaries. */
  readonly uri: string;
}
