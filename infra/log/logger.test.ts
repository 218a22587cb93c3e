import { describe, expect, it } from 'vitest';
import { logLevelFromEnv } from './logger.js';

describe('logLevelFromEnv', () => {
  it('falls back when unset or empty, takes a known level', () => {
    expect(logLevelFromEnv({}, 'warn')).toBe('warn');
    expect(logLevelFromEnv({ LOG_LEVEL: '' }, 'info')).toBe('info');
    expect(logLevelFromEnv({ LOG_LEVEL: 'debug' }, 'warn')).toBe('debug');
  });
  it('refuses a typo with an error naming the variable', () => {
    expect(() => logLevelFromEnv({ LOG_LEVEL: 'loud' }, 'info')).toThrow(/LOG_LEVEL: expected one of fatal, error/);
  });
});
