/**
 * @module infra/events
 * S3 object events -> detections (or a classifier's top-k classes) -> result JSON objects, with
 * bounded memory, idempotency and error records (see processor.ts and process-record.ts).
 */
export { createEventProcessor, DEFAULT_EVENT_CONCURRENCY, DEFAULT_MAX_OBJECT_BYTES } from './processor.js';
export { createS3ObjectStore } from './s3-store.js';
export { createFileObjectStore } from './file-store.js';
export { asFolder, defaultErrorsLocation, parseLocation, resultKey, type Location } from './location.js';
export { META, isCurrent, metadataFromResultBody, resultMetadata } from './records.js';
export type { ErrorRecord, InputRef, ResultRecord } from './records.js';
export { createSemaphore, type Semaphore } from './semaphore.js';
export { compareSequencers, isSuperseded } from './ordering.js';
export { lazyStores, openDestination, type Stores } from './destination.js';
export type { Destination, ListedObject, ObjectStore, StoredObject } from './object-store.js';
export type { EventProcessor, EventProcessorOptions, EventRecord, ProcessRunOptions, RecordOutcome, RecordStatus } from './types.js';
