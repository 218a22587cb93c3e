/**
 * @module handlers/grpc/call
 * What every gRPC call goes through, like the HTTP middleware: a request id (the caller's
 * `x-request-id` metadata when sane, as over HTTP, else a UUID; echoed in the trailers), the
 * `authorization: Bearer <key>` check shared with HTTP, a RequestContext (the server deadline,
 * brought forward by the call's `grpc-timeout`, and a signal that aborts when the call is
 * cancelled or its deadline passes, so its queued work is dropped), and the one error mapping:
 * GRPC_STATUS[code], logged with the request id at the level HTTP uses for that code.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { DetectError, GRPC_STATUS, isDetectError, toDetectError } from '../../core/errors/index.js';
import type { Logger } from '../../infra/log/index.js';
import type { RequestContext } from '../../infra/runtime/model-service.js';
import { bearerToken } from '../http/auth.js';
import { EXPECTED_5XX } from '../http/error-handler.js';
import { MAX_REQUEST_ID_LENGTH } from '../http/request-id.js';
import { requestContext, withClientTimeout } from '../http/request-context.js';

export interface CallDeps {
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  /** Throws UNAUTHORIZED unless the token is a configured key (auth.ts createTokenCheck). */
  readonly checkToken: (token: string | undefined) => void;
}

export interface CallInfo {
  readonly reqId: string;
  readonly ctx: RequestContext;
  /** performance.now() when the call arrived (parameters.timeout counts from it). */
  readonly arrival: number;
}

type Call = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

const metaString = (call: Call, key: string) => {
  const v = call.metadata.get(key)[0];
  return typeof v === 'string' ? v : undefined;
};

function callInfo(call: Call, deps: CallDeps): CallInfo {
  const arrival = performance.now();
  const given = metaString(call, 'x-request-id');
  const reqId = given && given.length <= MAX_REQUEST_ID_LENGTH && !/[^\w\-=]/.test(given) ? given : randomUUID();
  const gone = new AbortController();
  call.on('cancelled', () => gone.abort());
  let ctx = requestContext(reqId, deps.requestTimeoutMs, gone.signal, arrival);
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() - Date.now() : deadline - Date.now();
  if (Number.isFinite(ms)) ctx = withClientTimeout(ctx, Math.max(0, ms), arrival);
  return { reqId, ctx, arrival };
}

function trailers(reqId: string, err?: DetectError): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('x-request-id', reqId);
  if (err?.retryAfterS !== undefined) md.set('retry-after', String(Math.max(1, Math.ceil(err.retryAfterS))));
  return md;
}

/** Logs `raw` as HTTP would and returns the status the caller gets. */
export function grpcStatus(raw: unknown, call: Call, reqId: string, method: string, logger: Logger): grpc.ServerErrorResponse {
  const err = call.cancelled ? new DetectError('CANCELLED', 'client cancelled the call or its deadline passed', { cause: raw }) : toDetectError(raw);
  const line = { reqId, method, grpcStatus: GRPC_STATUS[err.code], code: err.code };
  if (call.cancelled) logger.info({ ...line, seen: raw instanceof Error ? raw.message : String(raw) }, err.message);
  else if (!isDetectError(raw)) logger.error({ ...line, err: raw }, 'unhandled error');
  else if (err.status >= 500 && !EXPECTED_5XX.has(err.code)) logger.error({ ...line, err }, err.message);
  else logger.warn({ ...line, details: err.details }, err.message);
  return Object.assign(new Error(err.message), { code: GRPC_STATUS[err.code], details: err.message, metadata: trailers(reqId, err) });
}

export type UnaryWork<Req, Res> = (request: Req, info: CallInfo) => Promise<Res> | Res;

/** A unary handler: request id, auth (unless `open`), context, error mapping. */
export function unary<Req, Res>(method: string, deps: CallDeps, work: UnaryWork<Req, Res>, open = false): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const info = callInfo(call as Call, deps);
    void (async () => {
      if (!open) deps.checkToken(bearerToken(metaString(call as Call, 'authorization')));
      return work(call.request, info);
    })().then(
      (res) => callback(null, res, trailers(info.reqId)),
      (err: unknown) => callback(grpcStatus(err, call as Call, info.reqId, method, deps.logger)),
    );
  };
}
