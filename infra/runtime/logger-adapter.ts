/**
 * @module infra/runtime/logger-adapter
 * The engine reports through a (message, fields) logger; the service logs with pino's
 * (fields, message). One adapter instead of pino imports inside the engine.
 */
import type { EngineLogger } from '../engine/index.js';
import type { Logger } from '../log/index.js';

export function engineLoggerFrom(logger: Logger): EngineLogger {
  return {
    info: (msg, fields) => logger.info(fields ?? {}, msg),
    warn: (msg, fields) => logger.warn(fields ?? {}, msg),
    error: (msg, fields) => logger.error(fields ?? {}, msg),
  };
}
