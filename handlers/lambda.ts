/**
 * @module handlers/lambda
 * The AWS Lambda entry point (bundled to dist/lambda.js; handler "lambda.handler"). The models
 * load and warm during the init phase (top-level await), on Lambda's boosted init CPU, so the
 * first invocation after a cold start is served, never answered 503 NOT_READY. A model that
 * cannot load (after the DETECTFN_LOAD_* retries) rejects the module's import: the init fails
 * with one fatal log line naming the model, and Lambda retries the init on the next invocation.
 */
import { createApp } from './app.js';
import { loadConfig } from '../infra/config/index.js';
import { createLogger } from '../infra/log/index.js';
import { createMetrics } from '../infra/metrics/index.js';
import { createModelRegistry } from '../infra/runtime/index.js';
import { createLambdaHandler } from './lambda/create-handler.js';
import { configuredEvents } from './events/configured-processor.js';
import { createObjectEventHandler } from './events/lambda-events.js';
import { logLoadFailure, registryOptions, resolveModelPaths } from './serve/index.js';

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
export const handler = createLambdaHandler({ app: createApp({ registry, metrics, logger, config }), logger, onOtherEvent });
