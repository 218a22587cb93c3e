/**
 * The RequestContext helpers every surface builds its requests' deadlines with.
 */
import { describe, expect, it } from 'vitest';
import { requestContext, withClientTimeout, withDeadline } from './registry.js';

describe('deadline', () => {
  it('a client timeout only brings the deadline forward', () => {
    const ctx = requestContext('r', 1000, undefined, 0);
    expect(ctx.deadline).toBe(1000);
    expect(withClientTimeout(ctx, 200, 0).deadline).toBe(200);
    expect(withClientTimeout(ctx, 5000, 0)).toBe(ctx);
  });

  it('withDeadline answers DEADLINE_EXCEEDED once the deadline has passed, whatever the work does', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withDeadline(never, { deadline: performance.now() - 1 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await expect(withDeadline(Promise.resolve(7), { deadline: performance.now() + 60_000 })).resolves.toBe(7);
  });
});
