import { describe, expect, it } from 'vitest';
import { loadConfig, logLevelFromEnv } from './config.js';

describe('loadConfig', () => {
  it('applies defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8080);
    expect(c.DETECTFN_MODELS).toEqual([]);
    expect(c.DETECTFN_API_KEYS).toEqual([]);
    expect(c.DETECTFN_S3_FORCE_PATH_STYLE).toBe(false);
  });

  it('parses numbers, lists and booleans', () => {
    const c = loadConfig({ PORT: '9000', DETECTFN_MODELS: 'a.json, b.onnx', DETECTFN_S3_FORCE_PATH_STYLE: 'true', DETECTFN_API_KEYS: '' });
    expect(c.PORT).toBe(9000);
    expect(c.DETECTFN_MODELS).toEqual(['a.json', 'b.onnx']);
    expect(c.DETECTFN_S3_FORCE_PATH_STYLE).toBe(true);
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ DETECTFN_MAX_BODY_BYTES: 'ten' })).toThrow(/DETECTFN_MAX_BODY_BYTES/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('reads the HTTP timeouts and the drain limit, refusing a headers timeout longer than the receive timeout', () => {
    expect(loadConfig({})).toMatchObject({ DETECTFN_HTTP_HEADERS_TIMEOUT_MS: 10_000, DETECTFN_HTTP_RECEIVE_TIMEOUT_MS: 60_000, DETECTFN_HTTP_KEEPALIVE_TIMEOUT_MS: 5_000, DETECTFN_SHUTDOWN_DRAIN_MS: 10_000 });
    expect(loadConfig({ DETECTFN_HTTP_RECEIVE_TIMEOUT_MS: '2000', DETECTFN_HTTP_HEADERS_TIMEOUT_MS: '500' }).DETECTFN_HTTP_RECEIVE_TIMEOUT_MS).toBe(2000);
    expect(() => loadConfig({ DETECTFN_HTTP_RECEIVE_TIMEOUT_MS: '5000' })).toThrow(/DETECTFN_HTTP_HEADERS_TIMEOUT_MS: must not exceed DETECTFN_HTTP_RECEIVE_TIMEOUT_MS \(5000\)/);
    expect(() => loadConfig({ DETECTFN_HTTP_KEEPALIVE_TIMEOUT_MS: '0' })).toThrow(/DETECTFN_HTTP_KEEPALIVE_TIMEOUT_MS/);
    expect(() => loadConfig({ DETECTFN_SHUTDOWN_DRAIN_MS: 'soon' })).toThrow(/DETECTFN_SHUTDOWN_DRAIN_MS/);
  });

  it('validates the SQS consumer settings, naming the variable', () => {
    const c = loadConfig({ DETECTFN_SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/in' });
    expect(c).toMatchObject({ DETECTFN_SQS_BATCH_SIZE: 10, DETECTFN_SQS_WAIT_S: 20, DETECTFN_SQS_VISIBILITY_TIMEOUT_S: 120, DETECTFN_SQS_POLLERS: 1 });
    expect(loadConfig({}).DETECTFN_SQS_QUEUE_URL).toBeUndefined();
    expect(() => loadConfig({ DETECTFN_SQS_QUEUE_URL: 'detectfn-incoming' })).toThrow(/DETECTFN_SQS_QUEUE_URL: expected an http\(s\) SQS queue URL/);
    expect(() => loadConfig({ DETECTFN_SQS_BATCH_SIZE: '11' })).toThrow(/DETECTFN_SQS_BATCH_SIZE/);
    expect(() => loadConfig({ DETECTFN_SQS_WAIT_S: '0' })).toThrow(/DETECTFN_SQS_WAIT_S/);
    expect(() => loadConfig({ DETECTFN_SQS_VISIBILITY_TIMEOUT_S: 'soon' })).toThrow(/DETECTFN_SQS_VISIBILITY_TIMEOUT_S/);
  });

  it('validates the model load retry and S3 timeout settings, naming the variable', () => {
    expect(loadConfig({})).toMatchObject({ DETECTFN_LOAD_ATTEMPTS: 4, DETECTFN_LOAD_RETRY_MS: 1000, DETECTFN_LOAD_RETRY_MAX_MS: 15_000, DETECTFN_S3_CONNECT_TIMEOUT_MS: 5000, DETECTFN_S3_SOCKET_TIMEOUT_MS: 30_000 });
    expect(loadConfig({ DETECTFN_LOAD_ATTEMPTS: '2', DETECTFN_LOAD_RETRY_MS: '0' })).toMatchObject({ DETECTFN_LOAD_ATTEMPTS: 2, DETECTFN_LOAD_RETRY_MS: 0 });
    expect(() => loadConfig({ DETECTFN_LOAD_ATTEMPTS: '0' })).toThrow(/DETECTFN_LOAD_ATTEMPTS/);
    expect(() => loadConfig({ DETECTFN_LOAD_ATTEMPTS: '21' })).toThrow(/DETECTFN_LOAD_ATTEMPTS/);
    expect(() => loadConfig({ DETECTFN_LOAD_RETRY_MS: 'soon' })).toThrow(/DETECTFN_LOAD_RETRY_MS/);
    expect(() => loadConfig({ DETECTFN_LOAD_RETRY_MAX_MS: '-1' })).toThrow(/DETECTFN_LOAD_RETRY_MAX_MS/);
    expect(() => loadConfig({ DETECTFN_S3_CONNECT_TIMEOUT_MS: '0' })).toThrow(/DETECTFN_S3_CONNECT_TIMEOUT_MS/);
    expect(() => loadConfig({ DETECTFN_S3_SOCKET_TIMEOUT_MS: '1.5' })).toThrow(/DETECTFN_S3_SOCKET_TIMEOUT_MS/);
  });

  it('validates the event settings, naming the variable', () => {
    expect(loadConfig({ DETECTFN_EVENTS_BUCKETS: 'in-a, in-b' })).toMatchObject({ DETECTFN_EVENTS_BUCKETS: ['in-a', 'in-b'], DETECTFN_EVENTS_MAX_RECORDS: 100 });
    expect(() => loadConfig({ DETECTFN_EVENTS_BUCKETS: 's3://in-a/' })).toThrow(/DETECTFN_EVENTS_BUCKETS.*expected bucket names/);
    expect(() => loadConfig({ DETECTFN_EVENTS_MAX_RECORDS: '0' })).toThrow(/DETECTFN_EVENTS_MAX_RECORDS/);
    expect(loadConfig({}).DETECTFN_EVENTS_TOP_K).toBe(5);
    expect(loadConfig({ DETECTFN_EVENTS_TOP_K: '2' }).DETECTFN_EVENTS_TOP_K).toBe(2);
    expect(() => loadConfig({ DETECTFN_EVENTS_TOP_K: '0' })).toThrow(/DETECTFN_EVENTS_TOP_K/);
    expect(() => loadConfig({ DETECTFN_EVENTS_TOP_K: 'three' })).toThrow(/DETECTFN_EVENTS_TOP_K/);
  });

  it('turns the web page on by default and off with DETECTFN_UI=off, naming the variable otherwise', () => {
    expect(loadConfig({}).DETECTFN_UI).toBe('on');
    expect(loadConfig({ DETECTFN_UI: 'off' }).DETECTFN_UI).toBe('off');
    expect(() => loadConfig({ DETECTFN_UI: 'no' })).toThrow(/DETECTFN_UI/);
  });
});

// Logger.
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
