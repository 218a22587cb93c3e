/**
 * @module handlers/events/deliveries
 * The three ways object events reach a running function, all into one event processor:
 * - `eventRoutes`: `POST /v1/events/s3`, webhooks of S3-compatible stores (Ceph radosgw, MinIO)
 *   and anything else that posts a notification, SQS or EventBridge envelope;
 * - `createObjectEventHandler`: Lambda invocations by S3, SQS or EventBridge (handlers/lambda's
 *   `onOtherEvent` seam);
 * - `createEventQueueConsumer`: the SQS consumer of `detectfn sqs` (infra/events/sqs), which
 *   hands each received batch to the same handler Lambda uses, as the SQS event Lambda would get.
 *
 * The processor is built from the environment on first use (`configuredEvents`:
 * DETECTFN_EVENTS_OUTPUT, _ERRORS, _BUCKETS, _MODEL, _CONCURRENCY, _MAX_OBJECT_BYTES, _TOP_K) and
 * shared by all three, so its permits bound memory across them. It detects (or classifies, for a
 * classifier) through the registry's ModelService, the same one HTTP uses, so event images and
 * HTTP images fill the same micro-batches. What each delivery answers comes from
 * handlers/events/object-events.
 */
import { bodyLimit } from 'hono/body-limit';
import type { Hono } from 'hono';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DetectError } from '../../core/errors.js';
import type { Logger, ServiceConfig } from '../../infra/config.js';
import { createEventProcessor, type EventProcessor, type RecordOutcome } from '../../infra/events/processor.js';
import { defaultErrorsLocation, parseLocation } from '../../infra/events/records.js';
import { type BatchHandler, createQueueConsumer, type QueueConsumer } from '../../infra/events/sqs.js';
import { lazyStores, openDestination } from '../../infra/events/stores.js';
import type { Metrics } from '../../infra/metrics.js';
import type { ModelRegistry, ModelService } from '../../infra/model/registry.js';
import { createS3Client } from '../../infra/store/s3.js';
import { batchItemFailures, type EventSummary, httpStatusOf, normaliseEvent, type RedeliveryPolicy, summarise } from './object-events.js';

export interface EventDeps {
  readonly registry: ModelRegistry;
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export interface ConfiguredEvents {
  /** Throws CONFIG_INVALID when DETECTFN_EVENTS_OUTPUT is unset. */
  processor(): EventProcessor;
  /** The events model; throws NOT_READY while it loads (callers answer 503 before any work). */
  model(): ModelService;
}

/** The HTTP route and the SQS consumer both build one from the same config: warn once. */
const warned = new WeakSet<ServiceConfig>();

export function configuredEvents(deps: EventDeps, s3Client?: () => S3Client): ConfiguredEvents {
  const { config, registry } = deps;
  const model = () => registry.get(config.DETECTFN_EVENTS_MODEL ?? registry.names()[0] ?? '');
  let processor: EventProcessor | undefined;
  if (config.DETECTFN_EVENTS_OUTPUT && config.DETECTFN_EVENTS_BUCKETS.length === 0 && !warned.has(config)) {
    warned.add(config);
    // Unset stays permissive so existing deployments keep working, but says what that allows.
    deps.logger.warn(
      { variable: 'DETECTFN_EVENTS_BUCKETS' },
      'events: DETECTFN_EVENTS_BUCKETS is unset, so an event may name ANY bucket and it is read with this service\'s credentials, and equal keys in two buckets share one result; set it to the input bucket(s)',
    );
  }
  return {
    model,
    processor() {
      if (processor) return processor;
      if (!config.DETECTFN_EVENTS_OUTPUT) {
        throw new DetectError('CONFIG_INVALID', 'S3 events need DETECTFN_EVENTS_OUTPUT (s3://bucket/prefix/ for result JSON)');
      }
      const stores = lazyStores(s3Client ?? (() => createS3Client({ forcePathStyle: config.DETECTFN_S3_FORCE_PATH_STYLE })));
      const out = parseLocation(config.DETECTFN_EVENTS_OUTPUT, 'DETECTFN_EVENTS_OUTPUT');
      const errors = config.DETECTFN_EVENTS_ERRORS ? parseLocation(config.DETECTFN_EVENTS_ERRORS, 'DETECTFN_EVENTS_ERRORS') : defaultErrorsLocation(out);
      return (processor = createEventProcessor({
        model,
        input: stores.s3(),
        output: openDestination(out, stores),
        errors: openDestination(errors, stores),
        buckets: config.DETECTFN_EVENTS_BUCKETS,
        concurrency: config.DETECTFN_EVENTS_CONCURRENCY,
        maxObjectBytes: config.DETECTFN_EVENTS_MAX_OBJECT_BYTES,
        classifyOptions: { topK: config.DETECTFN_EVENTS_TOP_K },
        logger: deps.logger,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      }));
    },
  };
}

// `POST /v1/events/s3`: any object-event shape normaliseEvent knows (S3 / Ceph radosgw / MinIO
// webhooks, SQS and EventBridge envelopes) -> the shared event processor -> per-record outcomes.
// 200: every record processed or skipped. 207: some failed for good (each has an error record;
// the body says which). 503 + Retry-After: some failed in a way a redelivery may fix, or their
// error record could not be written (object-events' httpStatusOf), or NOT_READY while the
// model loads (before anything is read). 400 for a body that is not JSON; 413 for more than
// DETECTFN_EVENTS_MAX_RECORDS records (before anything is read). createApp mounts it.
export interface EventRoutesOptions {
  /** @default an S3 client from the environment (AWS_ENDPOINT_URL_S3, default credentials) */
  readonly s3Client?: () => S3Client;
}

/**
 * The app as the route needs it: handlers/http/app's App and AppDeps fit (declared here, so the
 * app that mounts this group is not imported back).
 */
type EventApp = Hono<{ Variables: { requestId: string } }>;
type EventAppDeps = Required<EventDeps>;

export function eventRoutes(options: EventRoutesOptions = {}): (app: EventApp, deps: EventAppDeps) => void {
  return (app, deps) => {
    const events = configuredEvents(deps, options.s3Client);
    const limit = bodyLimit({
      maxSize: deps.config.DETECTFN_MAX_BODY_BYTES,
      onError: () => {
        throw new DetectError('PAYLOAD_TOO_LARGE', `event body exceeds ${deps.config.DETECTFN_MAX_BODY_BYTES} bytes`);
      },
    });
    app.post('/v1/events/s3', limit, async (c) => {
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        throw new DetectError('INVALID_ARGUMENT', 'event body is not JSON');
      }
      const event = normaliseEvent(body);
      const [count, limit] = [event.records.length + event.skipped.length, deps.config.DETECTFN_EVENTS_MAX_RECORDS];
      if (count > limit) {
        const message = `event carries ${count} records; the limit per request is ${limit} (DETECTFN_EVENTS_MAX_RECORDS): split the delivery`;
        throw new DetectError('PAYLOAD_TOO_LARGE', message, { details: { records: count, limit } });
      }
      let outcomes: RecordOutcome[] = [];
      if (event.records.length > 0) {
        const processor = events.processor();
        events.model(); // NOT_READY (503) while the model loads, before any record is read
        outcomes = await processor.process(event.records, { logger: deps.logger.child({ reqId: c.get('requestId') }) });
      } else {
        deps.logger.info({ reqId: c.get('requestId'), ignored: event.skipped }, 'event: nothing to process');
      }
      event.skipped.forEach(() => deps.metrics.recordEvent('ignored'));
      const summary = summarise(event, outcomes);
      const status = httpStatusOf(summary);
      if (status === 503) {
        c.header('Retry-After', '1');
        deps.logger.warn({ reqId: c.get('requestId'), counts: summary.counts }, 'event: some records need redelivery; answering 503 so the sender retries');
      }
      return c.json(summary, status);
    });
  };
}

// Lambda: SQS -> `{ batchItemFailures: [{ itemIdentifier: messageId }] }` (partial batch
// response: enable ReportBatchItemFailures on the event source mapping); S3 and EventBridge -> a
// summary, or a thrown error naming the failed keys so Lambda retries the invocation (already
// finished objects are skipped on the retry by the idempotency check).
export interface ObjectEventHandlerDeps {
  readonly processor: () => EventProcessor;
  /** In Lambda an event can arrive during init: wait for the models (registry.whenReady). */
  readonly whenReady: () => Promise<unknown>;
  readonly logger: Logger;
  /** Counts records that were not object events (test events, deletes) as `ignored`. */
  readonly metrics?: Metrics;
  /** Which failed SQS messages are reported back for redelivery. @default 'every-failure' */
  readonly redelivery?: RedeliveryPolicy;
}

export type ObjectEventResult = EventSummary | { batchItemFailures: { itemIdentifier: string }[] };

export function createObjectEventHandler(deps: ObjectEventHandlerDeps) {
  return async (event: unknown): Promise<ObjectEventResult> => {
    const normalised = normaliseEvent(event);
    if (normalised.records.length > 0) await deps.whenReady();
    const outcomes = normalised.records.length > 0 ? await deps.processor().process(normalised.records) : [];
    normalised.skipped.forEach(() => deps.metrics?.recordEvent('ignored'));
    if (normalised.kind === 'sqs') return { batchItemFailures: batchItemFailures(normalised, outcomes, deps.redelivery) };
    const summary = summarise(normalised, outcomes);
    if (summary.counts.failed > 0) {
      const failed = outcomes.filter((o) => o.status === 'failed').map((o) => `s3://${o.bucket}/${o.key} (${o.error?.code})`);
      throw new Error(`${summary.counts.failed} of ${outcomes.length} object(s) failed: ${failed.slice(0, 10).join(', ')}`);
    }
    if (normalised.records.length === 0) deps.logger.info({ ignored: normalised.skipped }, 'event: nothing to process');
    return summary;
  };
}

// The SQS consumer: a received batch goes to the same `createObjectEventHandler` as Lambda's, so
// normaliseEvent, the shared processor, idempotent results and error records are one code path.
// Deleted: messages whose records were all processed or skipped (test events and non-create
// events included), and failures about the object itself once their error record is written
// (object-events' needsRedelivery, policy 'transient'). Left for redelivery: transient failures,
// unwritten error records and bodies that are not object events (so they reach the DLQ).
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
