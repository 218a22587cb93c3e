/**
 * @module infra/log
 * Structured JSON logs (pino). Every request-scoped line carries `reqId`; request bodies are
 * never logged (only sizes and content types), so a log line can never leak an image or a key.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import { DetectError } from '../../core/errors/index.js';

export type Logger = PinoLogger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL from the environment, checked: a typo stops start-up naming the variable. */
export function logLevelFromEnv(env: Record<string, string | undefined>, fallback: LogLevel): LogLevel {
  const v = env.LOG_LEVEL;
  if (v === undefined || v === '') return fallback;
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new DetectError('CONFIG_INVALID', `invalid environment: LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(v)}`);
}

export interface LoggerOptions {
  /** @default process.env.LOG_LEVEL ?? 'info' */
  readonly level?: LogLevel;
  /** Where lines go. @default stdout */
  readonly destination?: NodeJS.WritableStream;
  readonly name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? logLevelFromEnv(process.env, 'info');
  return pino(
    {
      name: options.name ?? 'detectfn',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: even if someone logs a request object, its body and auth never print.
      redact: { paths: ['body', 'req.body', 'headers.authorization', 'req.headers.authorization'], censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/** A logger that drops everything: the default for library code and unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
