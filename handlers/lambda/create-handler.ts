/**
 * @module handlers/lambda/create-handler
 * One AWS Lambda handler for every event the function receives. HTTP events (API Gateway
 * v1/v2, function URLs, ALB, VPC Lattice) go to the same Hono app as the Node server, through
 * Hono's adapter (`handle(app)`). Everything else goes to `onOtherEvent`: the seam where
 * S3 / SQS / EventBridge object events are dispatched (handlers/events); until that is wired
 * such events are refused loudly rather than dropped.
 */
import type { Hono } from 'hono';
import { handle, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import type { Logger } from '../../infra/log/index.js';

export type OtherEventHandler = (event: unknown, context: LambdaContext | undefined) => Promise<unknown>;

export interface LambdaHandlerOptions {
  readonly app: Hono<any>;
  readonly logger: Logger;
  /** Non-HTTP events (S3, SQS, EventBridge). @default refuse with an error */
  readonly onOtherEvent?: OtherEventHandler;
}

export function isHttpEvent(event: unknown): event is LambdaEvent {
  if (typeof event !== 'object' || event === null || !('requestContext' in event)) return false;
  const e = event as Record<string, unknown> & { requestContext?: Record<string, unknown> };
  return 'httpMethod' in e || 'method' in e || typeof e.requestContext?.http === 'object' || typeof e.requestContext?.elb === 'object';
}

export function createLambdaHandler(options: LambdaHandlerOptions) {
  const http = handle(options.app);
  const other: OtherEventHandler =
    options.onOtherEvent ??
    (async (event) => {
      const keys = typeof event === 'object' && event !== null ? Object.keys(event).slice(0, 8) : [];
      options.logger.error({ keys }, 'unsupported Lambda event');
      throw new Error(`unsupported Lambda event (keys: ${keys.join(', ')}): only HTTP events are wired`);
    });
  return async (event: unknown, context?: LambdaContext): Promise<unknown> =>
    isHttpEvent(event) ? http(event, context) : other(event, context);
}
