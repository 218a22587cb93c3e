/**
 * @module handlers/http/middleware
 * What every HTTP request goes through before and after its route, and the types the routes are
 * written against (AppDeps, App): the request id, bearer-token auth, the access log line and
 * metrics sample, the one error mapper (a DetectError becomes ERROR_STATUS[code]; anything else
 * is a logged bug answered with a bare 500), what the Node socket under a request says (client
 * gone, body unread), and the response tracking a graceful drain needs. Each is a Hono middleware
 * or a helper of one, in the order a request meets them. Handlers see models only through
 * ModelRegistry: no onnxruntime, sharp or batcher types here.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HTTPException } from 'hono/http-exception';
import { requestId as honoRequestId } from 'hono/request-id';
import { routePath } from 'hono/route';
import { type Context, type ErrorHandler, Hono, type MiddlewareHandler, type NotFoundHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DetectError, toDetectError } from '../../core/errors.js';
import type { Logger, ServiceConfig } from '../../infra/config.js';
import type { Metrics } from '../../infra/metrics.js';
import type { ModelRegistry } from '../../infra/model/registry.js';
import { bearerToken, createTokenCheck, loadApiKeys, logRequestError, MAX_REQUEST_ID_LENGTH } from '../request.js';

export interface AppDeps {
  readonly registry: ModelRegistry;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly config: ServiceConfig;
}

export interface AppVariables {
  /** Set by the request-id middleware before anything else runs. */
  requestId: string;
}

export interface AppEnv {
  Variables: AppVariables;
}

export type App = Hono<AppEnv>;

/** Mounts a route group (KServe v2, admin, ...) on the app after the shared middleware. */
export type RouteGroup = (app: App, deps: AppDeps) => void;

export interface AppOptions {
  /** Extra route groups; they get request id, auth, access log and the error mapper too. */
  readonly extraRoutes?: readonly RouteGroup[];
}

// Every request gets an id, echoed in `X-Request-Id` and carried by every log line about it;
// which caller ids are kept is handlers/request.ts's rule (requestIdFrom), which hono/request-id
// applies here with the same length limit.
export const REQUEST_ID_HEADER = 'X-Request-Id';

export function requestId(): MiddlewareHandler<AppEnv> {
  return honoRequestId({ headerName: REQUEST_ID_HEADER, limitLength: MAX_REQUEST_ID_LENGTH });
}

// Optional bearer-token auth with the key check every surface shares (handlers/request.ts
// loadApiKeys, createTokenCheck). Health probes stay open so orchestrators need no secret.
/**
 * Paths that never need a token (liveness, readiness, KServe health, and the web page at `/`:
 * it holds no data, a browser cannot send a bearer token when it opens a URL, and the page's
 * own API calls carry the key; see handlers/http/page.ts).
 */
export const OPEN_PATHS: readonly RegExp[] = [/^\/healthz$/, /^\/readyz$/, /^\/v2\/health\//, /^\/$/];

/**
 * Paths that may carry the token as `?access_token=` (RFC 6750 section 2.3): S3-compatible
 * stores push notifications to a URL and cannot add an Authorization header.
 */
export const QUERY_TOKEN_PATHS: readonly RegExp[] = [/^\/v1\/events\/s3$/];

export function bearerAuth(keys: readonly string[]): MiddlewareHandler<AppEnv> {
  const check = createTokenCheck(keys);
  return async function bearerAuth(c, next) {
    if (keys.length === 0 || OPEN_PATHS.some((re) => re.test(c.req.path))) return next();
    const fromHeader = bearerToken(c.req.header('Authorization'));
    const fromQuery = QUERY_TOKEN_PATHS.some((re) => re.test(c.req.path)) ? c.req.query('access_token') : undefined;
    check(fromHeader ?? fromQuery);
    return next();
  };
}

// One structured line and one metrics sample per request: route pattern (never the raw path,
// so metric labels stay bounded), method, status and milliseconds. Never bodies, never
// headers: a log line cannot leak an image or a key. Error lines come from the error handler.
/**
 * The template of the handler that answered (Hono's routeIndex after the chain ran, not the
 * last match: every /v2 path also matches the protocol's catch-all `/v2/*`), with parameter
 * patterns dropped (`:model{[^/]+}` -> `:model`). Middleware-only matches are "unmatched".
 */
export function routeOf(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const p = routePath(c).replace(/(:\w+)\{[^}]*\}/g, '$1');
  return p === '' || p === '*' || p === '/*' ? 'unmatched' : p;
}

export function accessLog(logger: Logger, metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async function accessLog(c, next) {
    const t0 = performance.now();
    await next();
    const ms = performance.now() - t0;
    const route = routeOf(c);
    const status = c.res.status;
    metrics.recordRequest(route, c.req.method, status, ms / 1000);
    // Probes and scrapes would drown the log at info level.
    const quiet = route === '/healthz' || route === '/readyz' || route === '/metrics';
    const line = { reqId: c.get('requestId'), method: c.req.method, route, status, ms: Math.round(ms * 10) / 10 };
    if (quiet) logger.debug(line, 'request');
    else logger.info(line, 'request');
  };
}

// What the Node socket under a request says, for the two questions Hono's Request cannot
// answer: did the client go away (or was it cut for being too slow), and is part of the
// body still unread on the wire. Only under @hono/node-server (`c.env.incoming`); in
// app.request() tests and on Lambda there is no socket and both answers are "no".
/** The socket error of a request cut at the shutdown drain limit (handlers/serve closeGracefully), so its log line can say so. */
export const DRAIN_LIMIT_CODE = 'DETECTFN_DRAIN_LIMIT';

/** The Node request behind a Hono context, when there is one. */
export function nodeIncoming(c: Context): IncomingMessage | undefined {
  // @hono/node-server passes {incoming, outgoing} as the app's env (HttpBindings).
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming;
}

/**
 * The error to report when the connection ended before the answer: the client closed it
 * (CANCELLED, 499), a shutdown cut it at the drain limit (CANCELLED, naming the limit), or Node
 * cut it because the request did not arrive within DETECTFN_HTTP_RECEIVE_TIMEOUT_MS /
 * _HEADERS_TIMEOUT_MS (REQUEST_TIMEOUT, 408; Node has already written the 408). Undefined
 * while the connection is alive.
 */
export function connectionEnded(c: Context): DetectError | undefined {
  const incoming = nodeIncoming(c);
  const gone = incoming ? incoming.destroyed && !incoming.complete : c.req.raw.signal.aborted;
  if (!gone) return undefined;
  const cause = (incoming?.socket as { errored?: Error & { code?: string } } | undefined)?.errored;
  if (cause?.code === DRAIN_LIMIT_CODE) {
    return new DetectError('CANCELLED', 'the request was still running at the shutdown drain limit (DETECTFN_SHUTDOWN_DRAIN_MS): connection closed', { cause });
  }
  if (cause?.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new DetectError('REQUEST_TIMEOUT', 'the request did not arrive in time (DETECTFN_HTTP_RECEIVE_TIMEOUT_MS): connection closed', { cause });
  }
  return new DetectError('CANCELLED', 'the client closed the connection before the response', { cause });
}

// The one place HTTP errors are shaped: a DetectError becomes ERROR_STATUS[code] with
// `{error: {code, message}}` (plus Retry-After / WWW-Authenticate when they apply); anything
// else is a bug, logged with its stack, and the caller sees a bare 500 "Internal Server Error".
// Every error response is logged with the request id, one line: warn for 4xx and for the
// 503s that overload and start-up produce on purpose (QUEUE_FULL, NOT_READY: hundreds of stack
// traces in an overload would bury real faults), error for other 5xx. A request whose
// connection ended first (client gone, or cut by Node's receive timeout) is reported as such
// (CANCELLED 499 / REQUEST_TIMEOUT 408, info level) whatever error the handler saw: reading
// the body of a closed connection fails, and that is not a bug.
export const AUTH_CHALLENGE = 'Bearer realm="detectfn"';

/** The body an error gets: ours everywhere, the Open Inference Protocol's under /v2. */
export type ErrorBody = (err: DetectError) => unknown;
export const detectfnErrorBody: ErrorBody = (err) => ({ error: err.toJSON() });
export const kserveErrorBody: ErrorBody = (err) => ({ error: err.message });
const bodyForPath = (path: string): ErrorBody => (path === '/v2' || path.startsWith('/v2/') ? kserveErrorBody : detectfnErrorBody);

/** Hono's own HTTPExceptions (malformed bodies and the like) keep their 4xx meaning. */
function fromHttpException(err: HTTPException): DetectError {
  if (err.status === 413) return new DetectError('PAYLOAD_TOO_LARGE', 'request body is too large', { cause: err });
  if (err.status === 401) return new DetectError('UNAUTHORIZED', 'missing or invalid bearer token', { cause: err });
  if (err.status >= 400 && err.status < 500) return new DetectError('INVALID_ARGUMENT', err.message || 'bad request', { cause: err });
  return toDetectError(err);
}

export function errorResponse(c: Context<AppEnv>, raw: unknown, logger: Logger, body: ErrorBody = bodyForPath(c.req.path)): Response {
  const ended = connectionEnded(c);
  const err = ended ?? (raw instanceof HTTPException ? fromHttpException(raw) : toDetectError(raw));
  const reqId = c.get('requestId');
  logRequestError(logger, { reqId, method: c.req.method, path: c.req.path, status: err.status, code: err.code }, raw, err, ended !== undefined);
  if (err.retryAfterS !== undefined) c.header('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterS))));
  if (err.code === 'UNAUTHORIZED') c.header('WWW-Authenticate', AUTH_CHALLENGE);
  return c.json(body(err), err.status as ContentfulStatusCode);
}

export function onError(logger: Logger): ErrorHandler<AppEnv> {
  return (err, c) => errorResponse(c, err, logger);
}

export function notFound(logger: Logger): NotFoundHandler<AppEnv> {
  return (c) => errorResponse(c, new DetectError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), logger);
}

// A response sent before the request body was read (404 unknown model, 503 NOT_READY, 415,
// 401, a route that ignores bodies) leaves the rest of the body on the wire. Keep-alive would
// then be a lie: the next request on that connection sits behind those bytes, and Node
// destroys the socket a moment later, failing the pipelined request. So once the app has
// answered: a body of at most `maxBytes` still unread is read and discarded, and the
// connection stays usable; anything larger (or already half read) is answered with
// `Connection: close` and the socket is closed cleanly (see lingerOnClose).
/** How long a closing socket keeps discarding what the client still sends. */
export const LINGER_MS = 2_000;

/**
 * Reads and drops the rest of the body; false when it runs past `maxBytes` or fails (client
 * gone). Through the Request's stream: @hono/node-server may already have wrapped the socket
 * in it, and a second reader on the Node stream would stall behind that one's back-pressure.
 */
async function discard(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<boolean> {
  const reader = body.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      bytes += value.byteLength;
      if (bytes > maxBytes) return false;
    }
  } catch {
    return false;
  } finally {
    reader.releaseLock();
  }
}

/**
 * Node destroys a `Connection: close` socket as soon as the response is flushed; request bytes
 * still arriving then make the kernel answer with RST, which can wipe the response before the
 * client reads it. Instead: send FIN, drop what still comes, destroy on the client's FIN or
 * after LINGER_MS (what nginx calls lingering close).
 */
export function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket) {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('end', () => this.destroy());
    this.once('close', () => clearTimeout(timer));
    this.resume();
  };
}

export function settleUnreadBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  return async function settleUnreadBody(c, next) {
    await next();
    const incoming = nodeIncoming(c);
    if (incoming === undefined || incoming.complete || incoming.destroyed) return;
    const declared = Number(incoming.headers['content-length'] ?? Number.NaN);
    const body = c.req.raw.bodyUsed ? null : c.req.raw.body;
    const fits = body !== null && !body.locked && !(declared > maxBytes);
    if (fits && (await discard(body, maxBytes))) return;
    c.header('Connection', 'close');
    lingerOnClose(incoming.socket);
  };
}

// A graceful stop (handlers/serve closeGracefully) needs every open response: the server's
// 'request' listener below keeps them, so a drain can answer `Connection: close` and cut what is
// still running at its limit.
export interface Drain {
  /** From now on every response says `Connection: close`, and idle connections are closed. */
  start(): void;
  /** Cuts the connections of responses not yet finished, with DRAIN_LIMIT_CODE; returns how many. */
  cut(): number;
}

/** Tracks responses so that a drain can close their connections; call right after creating the server. */
export function trackResponses(server: Server): Drain {
  let draining = false;
  const open = new Set<ServerResponse>();
  const closeWhenDone = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  // Prepended: the app may answer synchronously inside the listener that serve() added.
  server.prependListener('request', (_req, res: ServerResponse) => {
    open.add(res);
    if (draining) closeWhenDone(res);
    res.once('close', () => {
      open.delete(res);
      // A response whose headers went out as keep-alive before the drain leaves an idle socket.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
  });
  return {
    start() {
      draining = true;
      for (const res of open) closeWhenDone(res);
    },
    cut() {
      const err = Object.assign(new Error('cut at the shutdown drain limit (DETECTFN_SHUTDOWN_DRAIN_MS)'), { code: DRAIN_LIMIT_CODE });
      for (const res of open) res.socket?.destroy(err);
      return open.size;
    },
  };
}
