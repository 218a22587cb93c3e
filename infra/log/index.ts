export { createLogger, LOG_LEVELS, logLevelFromEnv, silentLogger } from './logger.js';
export type { LogLevel, Logger, LoggerOptions } from './logger.js';
