/**
 * @module handlers/lambda
 * The AWS Lambda adapter: one handler for every event the function receives.
 *
 * - HTTP events (API Gateway v1/v2, function URLs, ALB, VPC Lattice) go to the same Hono app as
 *   the Node server, through Hono's adapter (`handle(app)`).
 * - Everything else goes to `onOtherEvent`: the seam where S3 / SQS / EventBridge object events
 *   are dispatched (handlers/events/deliveries); without it such events are refused loudly
 *   rather than dropped.
 * - `initLambda` is the function's init: the models load and warm during Lambda's init phase,
 *   on its boosted init CPU, so the first invocation after a cold start is served, never
 *   answered 503 NOT_READY. The entry point (handlers/lambda-main.ts, bundled to dist/lambda.js)
 *   awaits it at top level; importing this module runs nothing.
 */
import { handle, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import type { Hono } from 'hono';
import { createLogger, loadConfig, type Logger } from '../infra/config.js';
import { createMetrics } from '../infra/metrics.js';
import { createModelRegistry } from '../infra/model/registry.js';
import { configuredEvents, createObjectEventHandler } from './events/deliveries.js';
import { createApp } from './http/app.js';
import { logLoadFailure, registryOptions, resolveModelPaths } from './serve.js';

export type OtherEventHandler = (event: unknown, context: LambdaContext | undefined) => Promise<unknown>;

export interface LambdaHandlerOptions {
  readonly app: Hono<any>;
  readonly logger: Logger;
  /** Non-HTTP events (S3, SQS, EventBridge). @default refuse with an error */
  readonly onOtherEvent?: OtherEventHandler;
}

export type LambdaHandler = (event: unknown, context?: LambdaContext) => Promise<unknown>;

export function createLambdaHandler(options: LambdaHandlerOptions): LambdaHandler {
  const http = handle(options.app);
  const other: OtherEventHandler =
    options.onOtherEvent ??
    (async (event) => {
      const keys = typeof event === 'object' && event !== null ? Object.keys(event).slice(0, 8) : [];
      options.logger.error({ keys }, 'unsupported Lambda event');
      throw new Error(`unsupported Lambda event (keys: ${keys.join(', ')}): only HTTP events are wired`);
    });
  return async (event, context) => (isHttpEvent(event) ? http(event, context) : other(event, context));
}

export function isHttpEvent(event: unknown): event is LambdaEvent {
  if (typeof event !== 'object' || event === null || !('requestContext' in event)) return false;
  const e = event as Record<string, unknown> & { requestContext?: Record<string, unknown> };
  return 'httpMethod' in e || 'method' in e || typeof e.requestContext?.http === 'object' || typeof e.requestContext?.elb === 'object';
}

/**
 * Loads and warms the models from the environment, then wires HTTP and object events. A model
 * that cannot load (after the DETECTFN_LOAD_* retries) rejects: awaited at the entry's top
 * level, that fails the init with one fatal log line naming the model, and Lambda retries the
 * init on the next invocation.
 */
export async function initLambda(): Promise<LambdaHandler> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  const metrics = createMetrics();
  const registry = createModelRegistry(registryOptions(config, resolveModelPaths(config.DETECTFN_MODELS), logger, metrics));
  try {
    await registry.whenReady();
  } catch (err) {
    await logLoadFailure(logger, registry, err, 'Lambda init fails');
    await registry.close();
    throw err;
  }
  const events = configuredEvents({ registry, config, logger, metrics });
  const onOtherEvent = createObjectEventHandler({ processor: events.processor, whenReady: () => registry.whenReady(), logger });
  return createLambdaHandler({ app: createApp({ registry, metrics, logger, config }), logger, onOtherEvent });
}
