/**
 * @module handlers/cli/serve
 * The long-running commands, both the HTTP server of handlers/serve held until SIGTERM/SIGINT:
 * - `detectfn serve`: the detect API and the KServe v2 routes, plus the KServe v2 gRPC listener;
 * - `detectfn sqs`: the same server with its SQS consumer (S3 notifications -> result objects),
 *   the HTTP probes and /metrics staying up for Kubernetes and KEDA.
 * Flags win over the environment variables they stand for. A model that cannot load (after the
 * DETECTFN_LOAD_* retries) ends the process with exit 1.
 */
import { createLogger, loadConfig, type Logger, type ServiceConfig } from '../../infra/config.js';
import { exitOnLoadFailure, exitOnSignals, type RunningServer, startServer, type StartServerOptions } from '../serve.js';
import { integerFlag, type ParsedArgs, parseCommand, stringFlag, UsageError } from './cli.js';

// `detectfn serve [--model M]... [--port P] [--grpc-port G] [--host H]`: flags win over
// PORT/DETECTFN_GRPC_PORT/HOST/DETECTFN_MODELS (--grpc-port 0 turns gRPC off); with no model
// anywhere, startServer falls back to models/*.json or the demo model.
export const SERVE_FLAGS = {
  model: { type: 'string', short: 'm', multiple: true },
  port: { type: 'string', short: 'p' },
  'grpc-port': { type: 'string' },
  host: { type: 'string' },
} as const;

export async function serveCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, SERVE_FLAGS);
  if (positionals.length > 0) throw new UsageError(`serve takes no positional arguments (got ${positionals[0]}); use --model`);
  const config = {
    ...modelAndPortFlags(values),
    ...(values['grpc-port'] !== undefined ? { DETECTFN_GRPC_PORT: integerFlag(values, 'grpc-port', 0, 65535, 0) } : {}),
    ...(stringFlag(values, 'host') !== undefined ? { HOST: stringFlag(values, 'host') as string } : {}),
  };
  const logger = createLogger();
  const running = await serveUntilSignalled({ logger, config }, logger);
  process.stderr.write(`detectfn listening on ${running.url}${running.grpcPort !== undefined ? ` (gRPC port ${running.grpcPort})` : ''}\n`);
}

// `detectfn sqs --queue URL [--out s3://bucket/prefix/] [--errors LOC] [--model M]... [--port P]
// [--host H]`: detections (or a classifier's top DETECTFN_EVENTS_TOP_K classes) for every object
// the queue's S3 notifications name, until SIGTERM/SIGINT, which stops receiving, finishes the
// batches in hand and exits 0. Flags win over DETECTFN_SQS_QUEUE_URL, DETECTFN_EVENTS_OUTPUT,
// DETECTFN_EVENTS_ERRORS, DETECTFN_MODELS, PORT and HOST; the other DETECTFN_SQS_* variables
// tune the loop.
export const SQS_FLAGS = {
  queue: { type: 'string', short: 'q' },
  out: { type: 'string', short: 'o' },
  errors: { type: 'string' },
  model: { type: 'string', short: 'm', multiple: true },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
} as const;

export async function sqsCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, SQS_FLAGS);
  if (positionals.length > 0) throw new UsageError(`sqs takes no positional arguments (got ${positionals[0]}); use --queue`);
  const flags: Record<string, string | undefined> = {
    DETECTFN_SQS_QUEUE_URL: stringFlag(values, 'queue'),
    DETECTFN_EVENTS_OUTPUT: stringFlag(values, 'out'),
    DETECTFN_EVENTS_ERRORS: stringFlag(values, 'errors'),
    HOST: stringFlag(values, 'host'),
  };
  const env = { ...process.env, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) };
  const config = loadConfig(env);
  if (!config.DETECTFN_SQS_QUEUE_URL) throw new UsageError('missing required option --queue (or DETECTFN_SQS_QUEUE_URL)');
  if (!config.DETECTFN_EVENTS_OUTPUT) throw new UsageError('missing --out s3://bucket/prefix/ (or DETECTFN_EVENTS_OUTPUT) for the result JSON');
  const logger = createLogger({ level: config.LOG_LEVEL });
  const running = await serveUntilSignalled({ env, logger, config: modelAndPortFlags(values) }, logger);
  process.stderr.write(`detectfn consuming ${config.DETECTFN_SQS_QUEUE_URL}; probes on ${running.url}\n`);
}

/** --model (repeatable) and --port as config overrides; absent flags leave the environment's. */
function modelAndPortFlags(values: ParsedArgs['values']): Partial<ServiceConfig> {
  const models = (values.model as string[] | undefined) ?? [];
  return {
    ...(models.length > 0 ? { DETECTFN_MODELS: models } : {}),
    ...(values.port !== undefined ? { PORT: integerFlag(values, 'port', 0, 65535, 0) } : {}),
  };
}

/** Starts the server and holds the process: SIGTERM/SIGINT close it, a model that cannot load exits 1. */
async function serveUntilSignalled(options: StartServerOptions, logger: Logger): Promise<RunningServer> {
  const running = await startServer(options);
  exitOnSignals(running.close, logger);
  exitOnLoadFailure(running, logger);
  return running;
}
