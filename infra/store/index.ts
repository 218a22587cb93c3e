export { createModelStore } from './create-model-store.js';
export { createS3Client } from './s3-source.js';
export { DEFAULT_RETRY_POLICY, backoffDelay, withRetries } from './backoff.js';
export { isTransient } from './errors.js';
export { DEFAULT_MAX_CACHE_BYTES } from './options.js';
export { parseModelUri, type ModelLocation } from './uri.js';
export type { FetchedModel, FetchOptions, ModelStore, ModelStoreOptions, RetryPolicy, S3Options, StoreLogger } from './types.js';
