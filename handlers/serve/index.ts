/**
 * @module handlers/serve
 * Starting and stopping the HTTP server in-process (dist/server.js, the CLI, tests, bench).
 */
export { findModelsDir, resolveModelPaths } from './model-paths.js';
export { closeGracefully, exitOnSignals } from './shutdown.js';
export { exitOnLoadFailure, logLoadFailure } from './exit-on-load-failure.js';
export { registryOptions } from './registry-options.js';
export { startServer } from './start-server.js';
export type { RunningServer, StartServerOptions } from './start-server.js';
