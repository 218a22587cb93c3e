export { createLogger, silentLogger } from './logger.js';
export type { LogLevel, Logger, LoggerOptions } from './logger.js';
