/**
 * @module handlers/events/lambda-events
 * The Lambda side of object events, for handlers/lambda.ts's `onOtherEvent` seam:
 * SQS -> `{ batchItemFailures: [{ itemIdentifier: messageId }] }` (partial batch response:
 * enable ReportBatchItemFailures on the event source mapping); S3 and EventBridge -> a summary,
 * or a thrown error naming the failed keys so Lambda retries the invocation (already finished
 * objects are skipped on the retry by the idempotency check).
 */
import type { EventProcessor } from '../../infra/events/index.js';
import type { Logger } from '../../infra/log/index.js';
import type { Metrics } from '../../infra/metrics/index.js';
import { normaliseEvent } from './object-events.js';
import type { RedeliveryPolicy } from './redelivery.js';
import { batchItemFailures, summarise, type EventSummary } from './summary.js';

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
