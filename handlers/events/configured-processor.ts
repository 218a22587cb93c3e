/**
 * @module handlers/events/configured-processor
 * The one event processor a running function uses, built from the environment on first use
 * (DETECTFN_EVENTS_OUTPUT, _ERRORS, _BUCKETS, _MODEL, _CONCURRENCY, _MAX_OBJECT_BYTES, _TOP_K): HTTP
 * webhooks and Lambda invocations share it, so its permits bound memory across all of them. It
 * detects (or classifies, for a classifier) through the registry's ModelService, the same one
 * HTTP uses, so event images and HTTP images fill the same micro-batches.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { DetectError } from '../../core/errors/index.js';
import type { ServiceConfig } from '../../infra/config/index.js';
import { createEventProcessor, defaultErrorsLocation, lazyStores, openDestination, parseLocation, type EventProcessor } from '../../infra/events/index.js';
import type { Logger } from '../../infra/log/index.js';
import type { Metrics } from '../../infra/metrics/index.js';
import type { ModelRegistry, ModelService } from '../../infra/runtime/model-service.js';
import { createS3Client } from '../../infra/store/index.js';

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
