/**
 * @module handlers/events/queue-consumer
 * The SQS consumer's side of object events: a received batch is handed to the same
 * `createObjectEventHandler` the Lambda adapter uses (as the SQS event Lambda would get), so
 * normaliseEvent, the shared processor, idempotent results and error records are one code
 * path. What is deleted: messages whose records were all processed or skipped (test events
 * and non-create events included), and failures about the object itself once their error
 * record is written (handlers/events/redelivery.ts). Left for redelivery: transient failures,
 * unwritten error records and bodies that are not object events (so they reach the DLQ).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DetectError } from '../../core/errors/index.js';
import { createQueueConsumer, type BatchHandler, type QueueConsumer } from '../../infra/sqs/index.js';
import { configuredEvents, type EventDeps } from './configured-processor.js';
import { createObjectEventHandler, type ObjectEventResult } from './lambda-events.js';

export interface EventQueueDeps extends EventDeps {
  /** S3 for inputs and results. @default from the environment (AWS_ENDPOINT_URL_S3, ...) */
  readonly s3Client?: () => S3Client;
  /** @default createSqsClient for DETECTFN_SQS_QUEUE_URL (default credential chain) */
  readonly sqs?: SQSClient;
}

/** Messages -> the Lambda SQS event shape -> ids to delete (those not in batchItemFailures). */
export function sqsBatchHandler(handle: (event: unknown) => Promise<ObjectEventResult>): BatchHandler {
  return async (messages) => {
    const event = { Records: messages.map((m) => ({ messageId: m.id, eventSource: 'aws:sqs', body: m.body })) };
    const result = await handle(event);
    if (!('batchItemFailures' in result)) throw new Error('object-event handler did not answer an SQS event with batchItemFailures');
    const keep = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    return messages.map((m) => m.id).filter((id) => id !== '' && !keep.has(id));
  };
}

/** A consumer of DETECTFN_SQS_QUEUE_URL, not yet started (start it once the models are warm). */
export function createEventQueueConsumer(deps: EventQueueDeps): QueueConsumer {
  const { config, registry, logger } = deps;
  const queueUrl = config.DETECTFN_SQS_QUEUE_URL;
  if (!queueUrl) throw new DetectError('CONFIG_INVALID', 'the SQS consumer needs DETECTFN_SQS_QUEUE_URL');
  const events = configuredEvents(deps, deps.s3Client);
  // Fail at start-up, not on the first message, when DETECTFN_EVENTS_OUTPUT is missing.
  events.processor();
  const handle = createObjectEventHandler({
    processor: events.processor,
    whenReady: () => registry.whenReady(),
    logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    redelivery: 'transient',
  });
  return createQueueConsumer({
    queueUrl,
    handleBatch: sqsBatchHandler(handle),
    batchSize: config.DETECTFN_SQS_BATCH_SIZE,
    waitTimeSeconds: config.DETECTFN_SQS_WAIT_S,
    visibilityTimeoutS: config.DETECTFN_SQS_VISIBILITY_TIMEOUT_S,
    pollers: config.DETECTFN_SQS_POLLERS,
    logger,
    ...(deps.sqs ? { sqs: deps.sqs } : {}),
  });
}
