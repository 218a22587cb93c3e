/**
 * @module handlers/server
 * The Node entry point (bundled to dist/server.js): start the HTTP server from the
 * environment, exit cleanly on SIGTERM/SIGINT, log what would otherwise vanish. Importing this
 * module only exports `startServer`; it runs when it is the process's main script.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../infra/config.js';
import { exitOnLoadFailure, exitOnSignals, startServer } from './serve.js';

export { startServer } from './serve.js';
export type { RunningServer, StartServerOptions } from './serve.js';

async function main(): Promise<void> {
  const logger = createLogger();
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  try {
    const running = await startServer({ logger });
    exitOnSignals(running.close, logger);
    exitOnLoadFailure(running, logger);
  } catch (err) {
    logger.fatal({ err }, 'start-up failed');
    logger.flush();
    process.exitCode = 1;
  }
}

// Bundled into another entry (the CLI imports startServer), import.meta.url is that bundle:
// the basename check keeps `detectfn serve` from starting a second server.
const self = fileURLToPath(import.meta.url);
const isMain = process.argv[1] !== undefined && /^server\.[cm]?[jt]s$/.test(path.basename(self)) && realpathSync(process.argv[1]) === self;
if (isMain) void main();
