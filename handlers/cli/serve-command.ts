/**
 * @module handlers/cli/serve-command
 * `detectfn serve [--model M]... [--port P] [--grpc-port G] [--host H]`: the HTTP server (detect API and the
 * KServe v2 routes) and the KServe v2 gRPC listener until SIGTERM/SIGINT. Flags win over
 * PORT/DETECTFN_GRPC_PORT/HOST/DETECTFN_MODELS (--grpc-port 0 turns gRPC off); with no
 * model anywhere, startServer falls back to models/*.json or the demo model. A model that
 * cannot load (after the DETECTFN_LOAD_* retries) ends the process with exit 1.
 */
import { createLogger } from '../../infra/log/index.js';
import { exitOnLoadFailure, exitOnSignals, startServer } from '../serve/index.js';
import { integerFlag, parseCommand, stringFlag, UsageError } from './args.js';

export const SERVE_FLAGS = {
  model: { type: 'string', short: 'm', multiple: true },
  port: { type: 'string', short: 'p' },
  'grpc-port': { type: 'string' },
  host: { type: 'string' },
} as const;

export async function serveCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, SERVE_FLAGS);
  if (positionals.length > 0) throw new UsageError(`serve takes no positional arguments (got ${positionals[0]}); use --model`);
  const models = (values.model as string[] | undefined) ?? [];
  const config = {
    ...(models.length > 0 ? { DETECTFN_MODELS: models } : {}),
    ...(values.port !== undefined ? { PORT: integerFlag(values, 'port', 0, 65535, 0) } : {}),
    ...(values['grpc-port'] !== undefined ? { DETECTFN_GRPC_PORT: integerFlag(values, 'grpc-port', 0, 65535, 0) } : {}),
    ...(stringFlag(values, 'host') !== undefined ? { HOST: stringFlag(values, 'host') as string } : {}),
  };
  const logger = createLogger();
  const running = await startServer({ logger, config });
  exitOnSignals(running.close, logger);
  exitOnLoadFailure(running, logger);
  process.stderr.write(`detectfn listening on ${running.url}${running.grpcPort !== undefined ? ` (gRPC port ${running.grpcPort})` : ''}\n`);
}
