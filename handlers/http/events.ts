/**
 * @module handlers/http/events
 * `POST /v1/events/s3`: any object-event shape normaliseEvent knows (S3 / Ceph radosgw / MinIO
 * webhooks, SQS and EventBridge envelopes) -> the shared event processor -> per-record outcomes.
 * 200: every record processed or skipped. 207: some failed (each has an error record; the body
 * says which). 503 NOT_READY while the model loads (before anything is read, so the sender
 * retries). 400 for a body that is not JSON. Mount with `eventRoutes()` as a RouteGroup.
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
      let outcomes: Awaited<ReturnType<ReturnType<typeof events.processor>['process']>> = [];
      if (event.records.length > 0) {
        const processor = events.processor();
        events.model();
        outcomes = await processor.process(event.records);
      } else {
        deps.logger.info({ reqId: c.get('requestId'), ignored: event.skipped }, 'event: nothing to process');
      }
      event.skipped.forEach(() => deps.metrics.recordEvent('ignored'));
      const summary = summarise(event, outcomes);
      return c.json(summary, httpStatusOf(summary));
    });
  };
}
