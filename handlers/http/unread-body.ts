/**
 * @module handlers/http/unread-body
 * A response sent before the request body was read (404 unknown model, 503 NOT_READY, 415,
 * 401, a route that ignores bodies) leaves the rest of the body on the wire. Keep-alive would
 * then be a lie: the next request on that connection sits behind those bytes, and Node
 * destroys the socket a moment later, failing the pipelined request. So once the app has
 * answered: a body of at most `maxBytes` still unread is read and discarded, and the
 * connection stays usable; anything larger (or already half read) is answered with
 * `Connection: close` and the socket is closed cleanly (see lingerOnClose).
 */
import type { Socket } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { nodeIncoming } from './node-connection.js';
import type { AppEnv } from './types.js';

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
