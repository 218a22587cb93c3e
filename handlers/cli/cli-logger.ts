/**
 * @module handlers/cli/cli-logger
 * The logger of the one-shot commands: stderr (stdout carries their JSON), quiet by default.
 */
import { createLogger, logLevelFromEnv, type Logger } from '../../infra/log/index.js';

export function cliLogger(): Logger {
  return createLogger({ level: logLevelFromEnv(process.env, 'warn'), destination: process.stderr });
}
