import { describe, expect, it } from 'vitest';
import { DetectError } from '../../core/errors.js';
import { silentLogger } from '../config.js';
import { isRetryableLoadError, loadWithRetries } from './load.js';

// The retry decision and the readiness reason, with a load function that fails as told (no model
// runs here; test/integration/load-failure.test.ts runs the same path with real radosgw and processes).

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
const storeGaveUp = () => new DetectError('STORE_ERROR', 'model s3://b/k: fetch failed (transient): connect ECONNREFUSED', { cause: refused() });

/** Loads through loadWithRetries; `step(call)` fails or returns for each call (1-based). */
function retrying(step: (call: number) => unknown, policy = { attempts: 4, baseDelayMs: 10, maxDelayMs: 10 }, signal = new AbortController().signal) {
  const reasons: string[] = [];
  let calls = 0;
  const done = loadWithRetries('demo', async () => step(++calls), { policy, logger: silentLogger(), signal, onRetry: (r) => reasons.push(r), random: () => 0.5 });
  return { done, reasons, calls: () => calls };
}

function run(failures: unknown[], attempts = 4) {
  return retrying(() => {
    const f = failures.shift();
    if (f) throw f;
    return 'loaded';
  }, { attempts, baseDelayMs: 10, maxDelayMs: 10 });
}

describe('loadWithRetries', () => {
  it('retries a store that gave up on a transient error, showing the attempt and the wait', async () => {
    const r = run([storeGaveUp(), storeGaveUp()]);
    expect(await r.done).toBe('loaded');
    expect(r.calls()).toBe(3);
    expect(r.reasons).toEqual([
      'attempt 1/4 failed: model s3://b/k: fetch failed (transient): connect ECONNREFUSED; next in 5 ms',
      'attempt 2/4 failed: model s3://b/k: fetch failed (transient): connect ECONNREFUSED; next in 5 ms',
    ]);
  });

  it('gives up after the attempts with the same code and a message naming the model and the tries', async () => {
    const r = run([storeGaveUp(), storeGaveUp(), storeGaveUp()], 3);
    const err = (await r.done.catch((e: unknown) => e)) as DetectError;
    expect(err.code).toBe('STORE_ERROR');
    expect(err.message).toBe('model demo failed to load after 3 attempts: model s3://b/k: fetch failed (transient): connect ECONNREFUSED');
    expect(err.details).toMatchObject({ model: 'demo', attempts: 3 });
    expect(r.reasons).toHaveLength(2);
  });

  it.each([
    ['manifest invalid', new DetectError('CONFIG_INVALID', 'manifest m.json: not valid JSON')],
    ['model/manifest mismatch', new DetectError('MODEL_MISMATCH', 'manifest says input images, model has input.1')],
    ['sha256 mismatch', new DetectError('INTEGRITY_ERROR', 'sha256 differs')],
    ['file not found', new DetectError('NOT_FOUND', 'model /x.onnx not found')],
    ['access denied after the store gave up', new DetectError('STORE_ERROR', 'HTTP 403', { cause: Object.assign(new Error('AccessDenied'), { $metadata: { httpStatusCode: 403 } }) })],
  ])('fails at once on a permanent error: %s', async (_, failure) => {
    const r = run([failure]);
    const err = (await r.done.catch((e: unknown) => e)) as DetectError;
    expect(err.code).toBe(failure.code);
    expect(err.message).toBe(`model demo failed to load: ${failure.message}`);
    expect(r.calls()).toBe(1);
    expect(r.reasons).toEqual([]);
  });

  it('classifies truncated transfers and 5xx as transient, plain bugs as permanent', () => {
    expect(isRetryableLoadError(new DetectError('INTEGRITY_ERROR', 'short', { details: { truncated: true } }))).toBe(true);
    expect(isRetryableLoadError(new DetectError('STORE_ERROR', '503', { cause: Object.assign(new Error('SlowDown'), { $metadata: { httpStatusCode: 503 } }) }))).toBe(true);
    expect(isRetryableLoadError(new TypeError('x is undefined'))).toBe(false);
  });

  it('an abort ends the backoff wait at once (close() does not wait out the delay)', async () => {
    const ac = new AbortController();
    const r = retrying(() => {
      throw ac.signal.aborted ? new DetectError('NOT_READY', 'registry closed') : storeGaveUp();
    }, { attempts: 4, baseDelayMs: 3_600_000, maxDelayMs: 3_600_000 }, ac.signal);
    await new Promise((r) => setTimeout(r, 20));
    expect(r.reasons).toEqual(['attempt 1/4 failed: model s3://b/k: fetch failed (transient): connect ECONNREFUSED; next in 1800 s']);
    ac.abort();
    await expect(r.done).rejects.toThrow('model demo failed to load after 2 attempts: registry closed');
    expect(r.calls()).toBe(2);
  });
});
