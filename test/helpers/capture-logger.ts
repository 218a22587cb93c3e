/**
 * A real pino logger (infra/config) whose JSON lines are kept in memory, so tests can assert on
 * what the server logged (reqId, code, level) exactly as it would reach stdout.
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../infra/config.js';

export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
}

export function capturingLogger(level: 'debug' | 'info' = 'debug'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}
