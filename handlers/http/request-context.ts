/**
 * @module handlers/http/request-context
 * The per-request RequestContext: an absolute deadline (DETECTFN_REQUEST_TIMEOUT_MS from
 * arrival, on performance.now()'s clock) and the client's abort signal (@hono/node-server aborts
 * it when the connection closes before the answer, so queued work is dropped: checked with a
 * real socket in test/integration/admission.test.ts). `withDeadline` also bounds the HTTP answer itself:
 * whatever a stage does, the caller gets a 504 DEADLINE_EXCEEDED at the deadline.
 */
import { DetectError } from '../../core/errors/index.js';
import type { RequestContext } from '../../infra/runtime/model-service.js';

export function requestContext(reqId: string, timeoutMs: number, signal: AbortSignal | undefined, now = performance.now()): RequestContext {
  return { reqId, deadline: now + timeoutMs, ...(signal ? { signal } : {}) };
}

/** `ctx` with its deadline brought forward to `arrival + ms` when that is sooner (a client's own timeout). */
export function withClientTimeout(ctx: RequestContext, ms: number, arrival: number): RequestContext {
  const deadline = arrival + ms;
  return ctx.deadline !== undefined && ctx.deadline <= deadline ? ctx : { ...ctx, deadline };
}

export function withDeadline<T>(work: Promise<T>, ctx: RequestContext): Promise<T> {
  if (ctx.deadline === undefined) return work;
  const ms = Math.max(0, ctx.deadline - performance.now());
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DetectError('DEADLINE_EXCEEDED', `request did not finish within its deadline`)), ms);
  });
  // The losing branch must not become an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
