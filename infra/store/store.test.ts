import { describe, expect, it } from 'vitest';
import { DetectError } from '../../core/errors.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, isTransient, parseModelUri, withRetries } from './store.js';

const silent = { info() {}, warn() {}, error() {} };
const awsError = (name: string, status?: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

function harness(attempts = 4) {
  const sleeps: number[] = [];
  const deps = {
    policy: { ...DEFAULT_RETRY_POLICY, attempts },
    sleep: async (ms: number) => void sleeps.push(ms),
    random: () => 0.999,
    isTransient,
    logger: silent,
    context: {},
  };
  return { sleeps, deps };
}

describe('parseModelUri', () => {
  it('splits s3 URIs at the first slash after the bucket', () => {
    expect(parseModelUri('s3://models/yolo/v8n.onnx')).toEqual({ kind: 's3', bucket: 'models', key: 'yolo/v8n.onnx' });
  });
  it('reads file URLs and plain paths in place', () => {
    expect(parseModelUri('file:///m/a%20b.onnx')).toEqual({ kind: 'file', path: '/m/a b.onnx' });
    expect(parseModelUri('/m/x.onnx')).toEqual({ kind: 'file', path: '/m/x.onnx' });
  });
  it('rejects other schemes and an s3 URI without a key', () => {
    expect(() => parseModelUri('https://x/y.onnx')).toThrow(/Expected s3:\/\/bucket\/key/);
    expect(() => parseModelUri('s3://bucket-only')).toThrow(/received "s3:\/\/bucket-only"/);
    expect(() => parseModelUri('')).toThrow(/INVALID_ARGUMENT|Expected/);
  });
});

describe('backoffDelay', () => {
  it('doubles from the base, is capped, and is jittered by the random source', () => {
    const p = { attempts: 9, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4, 5].map((r) => backoffDelay(r, p, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, p, () => 0)).toBe(0);
    expect(backoffDelay(1, p, () => 0.5)).toBe(100);
  });
});

describe('withRetries', () => {
  it('retries transient failures (503, throttling, reset) with growing waits, then succeeds', async () => {
    const { sleeps, deps } = harness();
    const failures = [awsError('ServiceUnavailable', 503), awsError('SlowDown', 503), Object.assign(new Error('reset'), { code: 'ECONNRESET' })];
    let calls = 0;
    const out = await withRetries(async () => {
      calls++;
      const f = failures.shift();
      if (f) throw f;
      return 'ok';
    }, deps);
    expect(out).toBe('ok');
    expect(calls).toBe(4);
    expect(sleeps).toEqual([199, 399, 799]);
  });

  it('tells onRetry each failed attempt and the wait before the next, before it waits', async () => {
    const { sleeps, deps } = harness(3);
    const told: string[] = [];
    const onRetry = (r: { attempt: number; attempts: number; delayMs: number; err: unknown }) =>
      told.push(`${r.attempt}/${r.attempts} ${(r.err as Error).name} ${r.delayMs} after ${sleeps.length} sleeps`);
    await expect(withRetries(async () => { throw awsError('InternalError', 500); }, { ...deps, onRetry })).rejects.toThrow('InternalError');
    expect(told).toEqual(['1/3 InternalError 199 after 0 sleeps', '2/3 InternalError 399 after 1 sleeps']);
  });

  it('gives up after the configured attempts with the last error', async () => {
    const { sleeps, deps } = harness(3);
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw awsError('InternalError', 500); }, deps)).rejects.toThrow('InternalError');
    expect(calls).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it.each([
    ['403', awsError('AccessDenied', 403)],
    ['404', awsError('NotFound', 404)],
    ['sha256 mismatch', new DetectError('INTEGRITY_ERROR', 'sha differs', { details: { expected: 'a', actual: 'b' } })],
  ])('does not retry %s', async (_, err) => {
    const { sleeps, deps } = harness();
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw err; }, deps)).rejects.toBe(err);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a truncated transfer and a 429', () => {
    expect(isTransient(new DetectError('INTEGRITY_ERROR', 'short', { details: { truncated: true } }))).toBe(true);
    expect(isTransient(awsError('TooManyRequests', 429))).toBe(true);
    expect(isTransient(awsError('TimeoutError'))).toBe(true);
    expect(isTransient(new Error('plain'))).toBe(false);
  });
});
