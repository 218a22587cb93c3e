/**
 * @module handlers/http/node-connection
 * What the Node socket under a request says, for the two questions Hono's Request cannot
 * answer: did the client go away (or was it cut for being too slow), and is part of the
 * body still unread on the wire. Only under @hono/node-server (`c.env.incoming`); in
 * app.request() tests and on Lambda there is no socket and both answers are "no".
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { DetectError } from '../../core/errors/index.js';

/** The socket error of a request cut at the shutdown drain limit (handlers/serve/shutdown), so its log line can say so. */
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
