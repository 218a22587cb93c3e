/**
 * @module handlers/serve/shutdown
 * Graceful stop: refuse new connections, let in-flight requests finish (idle keep-alive
 * sockets are closed at once; busy ones after `drainMs`), then close the registry (workers).
 * Signal handling is separate so tests and the CLI can stop a server without a process exit.
 */
import type { ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { Logger } from '../../infra/log/index.js';
import type { ModelRegistry } from '../../infra/runtime/model-service.js';

export async function closeGracefully(server: ServerType, registry: ModelRegistry, logger: Logger, drainMs: number): Promise<void> {
  const http = server as Server;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const cut = setTimeout(() => {
      logger.warn({ drainMs }, 'drain timed out: closing busy connections');
      http.closeAllConnections?.();
    }, drainMs);
    http.close(() => {
      clearTimeout(cut);
      resolve();
    });
    http.closeIdleConnections?.();
  });
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
