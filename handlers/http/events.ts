/**
 * @module handlers/http/events
 * `POST /v1/events/s3`: any object-event shape normaliseEvent knows (S3 / Ceph radosgw / MinIO
 * webhooks, SQS and EventBridge envelopes) -> the shared event processor -> per-record outcomes.
 * 200: every record processed or skipped. 207: some failed for good (each has an error record;
 * the body says which). 503 + Retry-After: some failed in a way a redelivery may fix, or
 * their error record could not be written (handlers/events/summary.ts), or NOT_READY while the
 * model loads (before anything is read). 400 for a body that is not JSON; 413 for more than
 * DETECTFN_EVENTS_MAX_RECORDS records (before anything is read). Mount with `eventRoutes()`.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { bodyLimit } from 'hono/body-limit';
import { DetectError } from '../../core/errors/index.js';
import { configuredEvents } from '../events/configured-processor.js';
import { normaliseEvent } from '../events/object-events.js';
import { httpStatusOf, summarise } from '../events/summary.js';
import type { App, AppDeps, RouteGroup } from './types.js';

export interface EventRoutesOptions {
  /** @default an S3 client from the environment (AWS_ENDPOINT_URL_S3, default credentials) */
  readonly s3Client?: () => S3Client;
}

export function eventRoutes(options: EventRoutesOptions = {}): RouteGroup {
  return (app: App, deps: AppDeps) => {
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
      let outcomes: Awaited<ReturnType<ReturnType<typeof events.processor>['process']>> = [];
      if (event.records.length > 0) {
        const processor = events.processor();
        events.model();
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
