/**
 * @module handlers/serve/shutdown
 * Graceful stop. From the moment it starts: the listener is closed (new connections are
 * refused), every response not yet sent and every request still arriving on an open
 * keep-alive connection is answered with `Connection: close`, and each connection is closed
 * as soon as it goes idle, so keep-alive clients cannot keep the server busy forever. What is
 * still running at `drainMs` is cut (only that); then the registry (workers) closes.
 * Signal handling is separate so tests and the CLI can stop a server without a process exit.
 */
import type { ServerType } from '@hono/node-server';
import type { Server, ServerResponse } from 'node:http';
import { DRAIN_LIMIT_CODE } from '../http/node-connection.js';
import type { Logger } from '../../infra/log/index.js';
import type { ModelRegistry } from '../../infra/runtime/model-service.js';

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

/** `others`: other listeners' drains (the gRPC one) that must also finish before the models close. */
export async function closeGracefully(server: ServerType, drain: Drain, registry: ModelRegistry, logger: Logger, drainMs: number, others: readonly ((drainMs: number) => Promise<void>)[] = []): Promise<void> {
  const http = server as Server;
  const t0 = performance.now();
  registry.drain();
  drain.start();
  const othersDone = Promise.all(others.map((close) => close(drainMs)));
  await new Promise<void>((resolve) => {
    const cut = setTimeout(() => {
      logger.warn({ drainMs, cut: drain.cut() }, 'drain limit reached: closed the connections of requests still running');
      http.closeAllConnections();
    }, drainMs);
    http.close(() => {
      clearTimeout(cut);
      resolve();
    });
    http.closeIdleConnections();
  });
  await othersDone;
  await registry.close();
  logger.info({ ms: Math.round(performance.now() - t0) }, 'server closed');
}

/** SIGTERM/SIGINT -> close() then exit 0; a second signal exits 1 at once. */
export function exitOnSignals(close: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
