/**
 * @module infra/events/destination
 * A location string -> the store that serves it, with prefixes made folder-like
 * ("s3://b/results" writes under "results/").
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createFileObjectStore } from './file-store.js';
import { asFolder, parseLocation, type Location } from './location.js';
import type { Destination, ObjectStore } from './object-store.js';
import { metadataFromResultBody } from './records.js';
import { createS3ObjectStore } from './s3-store.js';

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

export function openDestination(where: string | Location, stores: Stores, name = 'location'): Destination {
  const loc = typeof where === 'string' ? parseLocation(where, name) : where;
  const store = loc.kind === 's3' ? stores.s3() : stores.file();
  return { store, bucket: loc.bucket, prefix: asFolder(loc.prefix), uri: loc.uri };
}
