/**
 * @module infra/log
 * Structured JSON logs (pino). Every request-scoped line carries `reqId`; request bodies are
 * never logged (only sizes and content types), so a log line can never leak an image or a key.
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  /** @default process.env.LOG_LEVEL ?? 'info' */
  readonly level?: LogLevel;
  /** Where lines go. @default stdout */
  readonly destination?: NodeJS.WritableStream;
  readonly name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? ((process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info');
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
