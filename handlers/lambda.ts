/**
 * @module handlers/lambda
 * The AWS Lambda entry point (bundled to dist/lambda.js; handler "lambda.handler"). The
 * registry is created during the init phase, so model loading overlaps Lambda's boosted init
 * CPU; a request that arrives before the models are warm gets 503 NOT_READY.
 */
import { createApp } from './app.js';
import { loadConfig } from '../infra/config/index.js';
import { createLogger } from '../infra/log/index.js';
import { createMetrics } from '../infra/metrics/index.js';
import { createModelRegistry } from '../infra/runtime/index.js';
import { createLambdaHandler } from './lambda/create-handler.js';
import { configuredEvents } from './events/configured-processor.js';
import { createObjectEventHandler } from './events/lambda-events.js';
import { resolveModelPaths } from './serve/index.js';

const config = loadConfig();
const logger = createLogger({ level: config.LOG_LEVEL });
const metrics = createMetrics();
const registry = createModelRegistry({
  models: resolveModelPaths(config.DETECTFN_MODELS),
  cacheDir: config.DETECTFN_CACHE_DIR,
  cacheMaxBytes: config.DETECTFN_CACHE_MAX_BYTES,
  maxInputPixels: config.DETECTFN_MAX_INPUT_PIXELS,
  decodeWorkers: config.DETECTFN_DECODE_WORKERS,
  logger,
  metrics,
});
registry.whenReady().catch((err: unknown) => logger.error({ err }, 'model load failed'));

const events = configuredEvents({ registry, config, logger, metrics });
const onOtherEvent = createObjectEventHandler({ processor: events.processor, whenReady: () => registry.whenReady(), logger });
export const handler = createLambdaHandler({ app: createApp({ registry, metrics, logger, config }), logger, onOtherEvent });
