/**
 * @module handlers/serve/registry-options
 * The model registry's options from the validated service config: one place for the server,
 * the CLI's serve/sqs (through startServer) and the Lambda entry point.
 */
import type { ServiceConfig } from '../../infra/config/index.js';
import type { Logger } from '../../infra/log/index.js';
import type { Metrics } from '../../infra/metrics/index.js';
import type { ModelRegistryOptions } from '../../infra/runtime/model-service.js';

export function registryOptions(config: ServiceConfig, models: readonly string[], logger: Logger, metrics?: Metrics): ModelRegistryOptions {
  return {
    models,
    cacheDir: config.DETECTFN_CACHE_DIR,
    cacheMaxBytes: config.DETECTFN_CACHE_MAX_BYTES,
    maxInputPixels: config.DETECTFN_MAX_INPUT_PIXELS,
    decodeWorkers: config.DETECTFN_DECODE_WORKERS,
    jpegDecoder: config.DETECTFN_JPEG_DECODER,
    loadRetries: { attempts: config.DETECTFN_LOAD_ATTEMPTS, baseDelayMs: config.DETECTFN_LOAD_RETRY_MS, maxDelayMs: config.DETECTFN_LOAD_RETRY_MAX_MS },
    s3: { connectTimeoutMs: config.DETECTFN_S3_CONNECT_TIMEOUT_MS, socketTimeoutMs: config.DETECTFN_S3_SOCKET_TIMEOUT_MS },
    logger,
    ...(metrics ? { metrics } : {}),
  };
}
