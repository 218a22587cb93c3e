/**
 * @module infra/engine/caller-error
 * Errors whose stack points at the caller of `run()`, not at a worker message handler
 * (sharp's pattern): the stack is captured when the request is made and the message is
 * filled in later from the worker's reply.
 */
import { DetectError, type DetectErrorOptions, type ErrorCode } from '../../core/errors.js';

export type CallSite = Error;

export function captureCallSite(): CallSite {
  const site = new Error('call site');
  Error.captureStackTrace(site, captureCallSite); // starts at the caller's frame
  return site;
}

export function callerError(code: ErrorCode, message: string, site: CallSite, options?: DetectErrorOptions): DetectError {
  const err = new DetectError(code, message, options);
  const frames = site.stack?.split('\n').slice(1).join('\n');
  if (frames) err.stack = `DetectError: ${message}\n${frames}`;
  return err;
}
