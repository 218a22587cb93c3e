import { describe, expect, it } from 'vitest';
import type { RecordOutcome } from '../../infra/events/index.js';
import { httpStatusOf, summarise } from './summary.js';

const event = { kind: 's3' as const, records: [], skipped: [] };
const o = (status: RecordOutcome['status'], code?: string, errorKey?: string): RecordOutcome => ({
  bucket: 'b', key: 'k', status, ...(code ? { error: { code, message: code, attempts: 1 } } : {}), ...(errorKey ? { errorKey } : {}),
});
const status = (...outcomes: RecordOutcome[]) => httpStatusOf(summarise(event, outcomes));

describe('httpStatusOf', () => {
  it('answers 200 when all went through, 207 for failures about the objects themselves (recorded)', () => {
    expect(status(o('processed'), o('skipped'))).toBe(200);
    expect(status(o('processed'), o('failed', 'NOT_FOUND', 'e/k.json'), o('failed', 'BUCKET_NOT_ALLOWED', 'e/_refused/x'))).toBe(207);
  });

  it('answers 503 when a redelivery could finish the work: transient, unrecorded or cancelled', () => {
    expect(status(o('processed'), o('failed', 'STORE_ERROR', 'e/k.json'))).toBe(503);
    expect(status(o('failed', 'NOT_FOUND'))).toBe(503);
    expect(status(o('cancelled'))).toBe(503);
  });
});
